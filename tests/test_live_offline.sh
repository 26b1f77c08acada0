#!/bin/bash
# Live and offline agree: a PRECOG take replayed over TCP (binary) into
# `skelact recognize --model M --events json --exit-on-eof` gives the same
# events (label, body, frame) as `skelact eval --format precog` on the same
# file, with the model's decision settings and with overrides. The model is
# models/precog.model if it exists, else a small one trained here in a few
# seconds (the check is about the code path, not the model's quality).
. "$(dirname "$0")/stream_lib.sh"

[ -d "$DATA/precog" ] || { echo "SKIP: no $DATA/precog"; exit 77; }
MODEL=models/precog.model
if [ ! -r "$MODEL" ]; then
    MODEL=$TMP/small.model
    if ! timeout 200 "$BIN" train --data "$DATA/precog" --format precog --subjects 1-3 \
        --arch gru --hidden 16 --layers 1 --epochs 3 --seed 3 --threads 1 \
        --out "$MODEL" >"$TMP/train.log" 2>&1; then
        cat "$TMP/train.log"
        bad "training a small model"
        echo "$PASSED passed, $FAILED failed"
        exit 1
    fi
fi
echo "model $MODEL"
FIRST_MODEL=$MODEL

# events FILE: "label body frame" per JSON line of FILE.
events() {
    sed -n 's/.*"class":\([0-9]*\),"body":\([0-9]*\),.*"frame":\([0-9]*\),.*/\1 \2 \3/p' "$1"
}

# compare NAME TAKE [decision options...]
compare() {
    local name=$1 take=$2
    shift 2
    local dir=$TMP/$name.data
    mkdir -p "$dir"
    ln -s "$(realpath "$DATA/precog/$take")" "$dir/$take"
    local subject=${take##*_}
    subject=${subject%.csv}
    "$BIN" eval --model "$MODEL" --data "$dir" --format precog --subjects "$subject" \
        --events-out "$TMP/$name.off" --probs-out "$TMP/$name.probs" "$@" \
        >"$TMP/$name.eval" 2>&1
    check_eq "$name: eval exit status" "$?" 0
    events "$TMP/$name.off" >"$TMP/$name.off.ev"
    # --probs-out: a header and one line per frame; from the first decision
    # on the probabilities sum to 1, and every event's frame reports its label.
    check_eq "$name: probs-out lines" "$(($(wc -l <"$TMP/$name.probs") - 1))" \
        "$(take_frames "$DATA/precog/$take")"
    local pbad
    pbad=$(awk -F, -v ev="$TMP/$name.off.ev" '
        BEGIN { while ((getline l < ev) > 0) { split(l, a, " "); want[a[3]] = a[1] } }
        NR == 1 { next }
        { s = 0; for (i = 5; i <= NF; i++) s += $i
          if (s != 0 && (s < 0.999 || s > 1.001)) bad++
          if (s != 0) decided++
          if (($2 in want) && $4 != want[$2]) bad++ }
        END { if (!decided) bad++; print bad + 0 }' "$TMP/$name.probs")
    check_eq "$name: probs-out consistent with the events" "$pbad" 0

    start_recognize "$name" tcp --model "$MODEL" --events json --exit-on-eof "$@" \
        >"$TMP/$name.live" || return
    timeout 60 "$BIN" replay "$DATA/precog/$take" --to "127.0.0.1:$PORT" --speed 0 \
        >"$TMP/$name.replay" 2>&1
    check_eq "$name: replay exit status" "$?" 0
    wait_exit "$RPID" 30
    check_eq "$name: recognize exit status" "$RC" 0
    events "$TMP/$name.live" >"$TMP/$name.live.ev"

    local n
    n=$(wc -l <"$TMP/$name.off.ev")
    check_gt0 "$name: eval events" "$n"
    if cmp -s "$TMP/$name.off.ev" "$TMP/$name.live.ev"; then
        ok "$name: live events = eval events ($n)"
    else
        bad "$name: live and eval events differ"
        diff "$TMP/$name.off.ev" "$TMP/$name.live.ev" | head -20
    fi
    check_eq "$name: summary events" "$(value events "$TMP/$name.err")" "$n"
    check_eq "$name: summary frames" "$(value frames "$TMP/$name.err")" "$(take_frames "$DATA/precog/$take")"
    # Every live line carries the fields DESIGN.md names.
    local badlines
    badlines=$(grep -vc '^{"label":"[^"]*","class":[0-9]*,"body":[0-9]*,"stream":[0-9]*,"frame":[0-9]*,"confidence":[0-9.]*,"latency_us":[0-9]*}$' "$TMP/$name.live")
    check_eq "$name: JSON lines well-formed" "$badlines" 0
}

compare defaults Seq1_7.csv
compare overrides Seq3_8.csv --threshold 0.4 --min-frames 2 --refractory 20 --smooth 0.3 --decide-every 2 --rearm 2

# A streaming model (a small tcn with per-frame normalisation), one step per
# frame live and offline.
if timeout 200 "$BIN" train --data "$DATA/precog" --format precog --subjects 1-3 \
    --arch tcn --hidden 16 --layers 3 --kernel 3 --frame-norm --epochs 3 --seed 3 \
    --threads 1 --out "$TMP/tcn.model" >"$TMP/train_tcn.log" 2>&1; then
    MODEL=$TMP/tcn.model
    compare streaming Seq2_9.csv --infer stream --threshold 0.4
    grep -q 'inference stream' "$TMP/streaming.eval" && ok "streaming: eval ran the streaming model" ||
        bad "streaming: eval did not stream"
else
    cat "$TMP/train_tcn.log"
    bad "training a small tcn"
fi

# A recurrent window model: the replay runs flat out, so recognize gathers
# many frames per receive turn and batches their windows
# (sk_recognizer_push_batch); the events must still be eval's, frame by frame.
if timeout 200 "$BIN" train --data "$DATA/precog" --format precog --subjects 1-3 \
    --arch gru --hidden 16 --layers 2 --epochs 2 --seed 5 --threads 1 \
    --out "$TMP/gru.model" >"$TMP/train_gru.log" 2>&1; then
    MODEL=$TMP/gru.model
    compare gru_window Seq4_8.csv --threshold 0.4
else
    cat "$TMP/train_gru.log"
    bad "training a small gru"
fi
MODEL=$FIRST_MODEL
compare shipped_window Seq6_7.csv --infer window

# The eval summary matches its own event list: hits + false alarms = events.
h=$(sed -n 's/.*hits \([0-9]*\).*false alarms \([0-9]*\).*/\1 \2/p' "$TMP/defaults.eval" | head -1)
n=$(wc -l <"$TMP/defaults.off.ev")
check_eq "eval: hits + false alarms = events listed" "$(( ${h% *} + ${h#* } ))" "$n"

# Bad arguments: exit status 2 with a one-line message.
badarg() { # NAME ARGS...
    local name=$1
    shift
    timeout 20 "$BIN" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
    check_eq "bad args $name: exit status" "$?" 2
    check_eq "bad args $name: one line" "$(wc -l <"$TMP/bad.err")" 1
}
P=$DATA/precog
badarg eval_smooth eval --model "$MODEL" --data "$P" --format precog --subjects 7 --smooth 1
badarg eval_threshold eval --model "$MODEL" --data "$P" --format precog --subjects 7 --threshold -0.1
badarg eval_every eval --model "$MODEL" --data "$P" --format precog --subjects 7 --decide-every 0
badarg eval_infer eval --model "$MODEL" --data "$P" --format precog --subjects 7 --infer fast
badarg eval_nosubject eval --model "$MODEL" --data "$P" --format precog --subjects 42
badarg eval_nomodel eval --model "$TMP/none.model" --data "$P" --format precog --subjects 7
badarg recognize_events_nomodel recognize --listen 127.0.0.1:9 --events json
badarg recognize_events recognize --listen 127.0.0.1:9 --model "$MODEL" --events xml
badarg recognize_minframes recognize --listen 127.0.0.1:9 --model "$MODEL" --min-frames -1
if "$BIN" info "$FIRST_MODEL" | grep -Eq '^architecture: +(gru|lstm)'; then
    badarg recognize_stream_rnn recognize --listen 127.0.0.1:9 --model "$FIRST_MODEL" --infer stream
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
