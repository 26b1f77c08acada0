#!/bin/bash
# Few-shot gestures with the dtw architecture, end to end: two recorded
# examples each of three MSR Action3D actions by one person (subject 1,
# trials 1 and 2; one action's recorded again through `skelact record`) in
# a folder per gesture; `skelact train --format
# gestures` makes a model at once (no training run); the person's third
# trial of each, replayed over TCP in another order into `skelact
# recognize`, gives one event per gesture, each with the right label, in
# order. Also: the dtw model on PRECOG takes gives the same events live and
# in eval, and bad gesture folders are refused with a message.
. "$(dirname "$0")/stream_lib.sh"

MSR=$DATA/msr_action3d
[ -d "$MSR" ] || { echo "SKIP: no $MSR"; exit 77; }

# record SOURCE OUT: what a user does: `skelact record` while the sensor
# (here a replay of SOURCE) sends one performance.
record() {
    start_record "$2" "$TMP/record.err" --exit-on-eof ||
        { bad "record did not start: $(cat "$TMP/record.err")"; return 1; }
    timeout 60 "$BIN" replay "$1" --to "127.0.0.1:$REC_PORT" --speed 0 >/dev/null 2>&1
    wait_exit "$RECPID" 30
    [ "$RC" = 0 ] || bad "record $2: exit status $RC"
}

# The high wave recorded through skelact (.skrec), the others copied as the
# dataset's files: a gesture folder takes any format skelact reads.
G=$TMP/gestures
mkdir -p "$G/high_wave"
record "$MSR/a01_s01_e01_skeleton3D.txt" "$G/high_wave/1.skrec"
record "$MSR/a01_s01_e02_skeleton3D.txt" "$G/high_wave/2.skrec"
check_eq "recorded takes" "$(ls "$G/high_wave" | wc -l)" 2
for g in "two_hand_wave a11" "forward_kick a14"; do
    set -- $g
    mkdir -p "$G/$1"
    cp "$MSR/$2_s01_e01_skeleton3D.txt" "$MSR/$2_s01_e02_skeleton3D.txt" "$G/$1/"
done
"$BIN" train --data "$G" --format gestures --out "$TMP/g.model" >"$TMP/train.log" 2>&1
check_eq "train --format gestures exit status" "$?" 0
grep -q '6 templates' "$TMP/train.log" && ok "6 templates" || { bad "template count"; cat "$TMP/train.log"; }
grep -q '6 of 6 nearest to their own class' "$TMP/train.log" && ok "every take nearest its own gesture" ||
    bad "takes against each other: $(grep 'nearest' "$TMP/train.log")"
# A take filed under the wrong gesture is pointed out before going live.
cp -r "$G" "$TMP/mixed"
cp "$MSR/a14_s01_e03_skeleton3D.txt" "$TMP/mixed/high_wave/"
"$BIN" train --data "$TMP/mixed" --format gestures --out "$TMP/mixed.model" >"$TMP/mixed.log" 2>&1
grep -q 'a14_s01_e03_skeleton3D.txt (high_wave, frames [0-9]*-[0-9]*) is nearer to forward_kick' "$TMP/mixed.log" &&
    ok "a misfiled take is named" || bad "misfiled take not named: $(grep dtw "$TMP/mixed.log")"
"$BIN" info "$TMP/g.model" >"$TMP/info.txt" 2>&1
grep -q '^architecture: *dtw' "$TMP/info.txt" && ok "info: dtw" || bad "info: $(head -3 "$TMP/info.txt")"
grep -q 'templates: *6' "$TMP/info.txt" && ok "info: templates" || bad "info lists no templates"

start_recognize live tcp --model "$TMP/g.model" --events json --exit-on-eof >"$TMP/live.json" || exit 1
timeout 60 "$BIN" replay "$MSR/a14_s01_e03_skeleton3D.txt" "$MSR/a01_s01_e03_skeleton3D.txt" \
    "$MSR/a11_s01_e03_skeleton3D.txt" --to "127.0.0.1:$PORT" --speed 0 >"$TMP/replay.log" 2>&1
check_eq "replay exit status" "$?" 0
wait_exit "$RPID" 30
check_eq "recognize exit status" "$RC" 0
labels=$(sed -n 's/.*"label":"\([^"]*\)".*/\1/p' "$TMP/live.json" | tr '\n' ' ')
check_eq "events" "$labels" "forward_kick high_wave two_hand_wave "
check_eq "summary frames" "$(value frames "$TMP/live.err")" 123

# Folders the command refuses, with a message and exit status 2.
refuse() { # NAME EXPECTED-TEXT ARGS...
    local name=$1 want=$2
    shift 2
    "$BIN" train "$@" >"$TMP/$name.out" 2>&1
    local rc=$?
    if [ $rc -eq 2 ] && grep -q "$want" "$TMP/$name.out"; then ok "$name refused"; else
        bad "$name: status $rc, $(cat "$TMP/$name.out")"; fi
}
mkdir -p "$TMP/empty/wave"
refuse "an empty gesture folder" "no recordings" --data "$TMP/empty" --format gestures --out "$TMP/x.model"
mkdir -p "$TMP/none/none"
cp "$MSR/a01_s01_e01_skeleton3D.txt" "$TMP/none/none/"
refuse "a gesture called none" "not 'none'" --data "$TMP/none" --format gestures --out "$TMP/x.model"
refuse "gestures for a network" "needs --arch dtw" --data "$G" --format gestures --arch gru --out "$TMP/x.model"
refuse "no gestures folder" "missing: No such file" --data "$TMP/missing" --format gestures --out "$TMP/x.model"
[ -e "$TMP/x.model" ] && bad "a refused run wrote a model" || ok "no model written by refused runs"

# PRECOG: a dtw model of subjects 1-2's moves, one take live and in eval.
if [ -d "$DATA/precog" ]; then
    "$BIN" train --data "$DATA/precog" --format precog --subjects 1,2 --arch dtw \
        --out "$TMP/p.model" >"$TMP/ptrain.log" 2>&1
    check_eq "train --arch dtw (precog) exit status" "$?" 0
    mkdir -p "$TMP/take"
    ln -s "$(realpath "$DATA/precog/Seq1_3.csv")" "$TMP/take/Seq1_3.csv"
    "$BIN" eval --model "$TMP/p.model" --data "$TMP/take" --format precog --subjects 3 \
        --events-out "$TMP/p.off" >"$TMP/p.eval" 2>&1
    check_eq "eval exit status" "$?" 0
    start_recognize precog tcp --model "$TMP/p.model" --events json --exit-on-eof >"$TMP/p.live" || exit 1
    timeout 60 "$BIN" replay "$DATA/precog/Seq1_3.csv" --to "127.0.0.1:$PORT" --speed 0 >/dev/null 2>&1
    wait_exit "$RPID" 30
    check_eq "recognize exit status (precog)" "$RC" 0
    ev() { sed -n 's/.*"class":\([0-9]*\),"body":\([0-9]*\),.*"frame":\([0-9]*\),.*/\1 \2 \3/p' "$1"; }
    n=$(ev "$TMP/p.off" | wc -l)
    check_gt0 "dtw eval events" "$n"
    if [ "$(ev "$TMP/p.off")" = "$(ev "$TMP/p.live")" ]; then ok "dtw: live events = eval events ($n)"; else
        bad "dtw: live and eval events differ"; diff <(ev "$TMP/p.off") <(ev "$TMP/p.live") | head; fi
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
