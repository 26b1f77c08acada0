#!/bin/bash
# `skelact train --format precog` without --arch trains the shipped streaming
# tcn recipe's shape (models/README.md): the model it writes is byte for byte
# the one the explicit options write (tcn, hidden 64, layers 4, window 31,
# --frame-norm, refractory 30, lr 3e-3, an ensemble of 3), and a different
# learning rate gives
# a different file (the comparison can fail); so does --null-weight 0.5,
# while --null-weight 1 does not. One subject, one epoch, every 4th window:
# a few seconds.
. "$(dirname "$0")/stream_lib.sh"

[ -d "$DATA/precog" ] || { echo "SKIP: no $DATA/precog"; exit 77; }
P=$DATA/precog
COMMON=(--data "$P" --format precog --subjects 1 --epochs 1 --stride 4 --seed 7 --threads 1)
EXPLICIT=(--arch tcn --hidden 64 --layers 4 --window 31 --frame-norm --refractory 30 --ensemble 3)

train() { # OUT ARGS...
    local out=$1
    shift
    if ! timeout 200 "$BIN" train "${COMMON[@]}" "$@" --out "$out" >"$out.log" 2>&1; then
        cat "$out.log"
        bad "train $*"
        return 1
    fi
}

if train "$TMP/default.model" &&
    train "$TMP/explicit.model" "${EXPLICIT[@]}" --lr 3e-3 &&
    train "$TMP/lr1.model" "${EXPLICIT[@]}" --lr 1e-3; then
    cmp -s "$TMP/default.model" "$TMP/explicit.model" &&
        ok "no --arch = 3 x tcn 4x64 window 31 frame_norm refractory 30 lr 3e-3 (identical files)" ||
        bad "no --arch differs from the explicit shipped recipe"
    cmp -s "$TMP/default.model" "$TMP/lr1.model" &&
        bad "--lr 1e-3 gave the same file as the default (comparison blind)" ||
        ok "another --lr gives another file"
fi
# --null-weight 1 is the plain loss (the same file); another weight trains
# another model.
if train "$TMP/nw1.model" "${EXPLICIT[@]}" --null-weight 1 &&
    train "$TMP/nw05.model" "${EXPLICIT[@]}" --null-weight 0.5; then
    cmp -s "$TMP/default.model" "$TMP/nw1.model" && ok "--null-weight 1 = the default" ||
        bad "--null-weight 1 changed the model"
    cmp -s "$TMP/default.model" "$TMP/nw05.model" &&
        bad "--null-weight 0.5 gave the default's file" || ok "--null-weight 0.5 gives another file"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
