#!/bin/bash
# A sender that closes its connection ends its stream at once: the action in
# progress ends and its held key is released within a fraction of a second,
# not after --stream-idle (set to 60 s here) or the keymap's max-hold (30 s).
# The take is cut a few frames after the shipped model starts "right punch"
# (eval on the same cut file says where), so the move is still going on when
# the sender goes away.
. "$(dirname "$0")/stream_lib.sh"

MODEL=models/precog.model
SRC=data/precog/Seq1_7.csv
[ -r "$MODEL" ] && [ -r "$SRC" ] || { echo "SKIP: no $MODEL or $SRC"; exit 77; }

mkdir -p "$TMP/cut"
CUT=$TMP/cut/Seq1_7.csv
head -n 45 "$SRC" >"$CUT" # the header and frames 0..43
"$BIN" eval --model "$MODEL" --data "$TMP/cut" --format precog --subjects 7 \
    --print-events >"$TMP/eval.out" 2>&1
check_eq "eval on the cut take: exit status" "$?" 0
start_frame=$(sed -n 's/.*"label":"right punch".*"frame":\([0-9]*\).*/\1/p' "$TMP/eval.out" | head -n 1)
check_gt0 "eval: right punch starts in the cut take (frame)" "$start_frame"

cat >"$TMP/hold.keys" <<'KEYS'
set max-hold 30000
right punch = hold j
KEYS

for proto in binary text; do
    start_recognize "$proto" tcp --model "$MODEL" --keys "$TMP/hold.keys" \
        --keys-backend dry-run --stream-idle 60000 --events json >"$TMP/$proto.out" || continue
    timeout 30 "$BIN" replay "$CUT" --to "127.0.0.1:$PORT" --proto "$proto" --speed 0 \
        >"$TMP/$proto.replay" 2>&1
    check_eq "$proto: replay exit status" "$?" 0
    released=""
    for i in $(seq 1 30); do # 1.5 s at most
        grep -q "release j" "$TMP/$proto.err" && { released=yes; break; }
        sleep 0.05
    done
    check_eq "$proto: press j while the punch lasts" "$(grep -c 'press j' "$TMP/$proto.err")" 1
    check_eq "$proto: j released when the sender closed, within 1.5 s" "$released" yes
    kill -0 "$RPID" 2>/dev/null
    check_eq "$proto: recognize still running (waiting for the next sender)" "$?" 0
    kill -TERM "$RPID"
    wait_exit "$RPID" 10
    check_eq "$proto: recognize exit status after SIGTERM" "$RC" 0
done

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
