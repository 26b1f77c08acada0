#!/bin/bash
# `skelact train --format precog` without --arch trains the shipped streaming
# tcn recipe's shape and learning rate (models/README.md): the model it writes
# is byte for byte the one the explicit options write (tcn, hidden 64, layers
# 4, window 31, --frame-norm, refractory 30, lr 1e-3), and differs from the
# one trained with the generic lr 3e-3. One subject, one epoch, every 4th
# window: a few seconds.
. "$(dirname "$0")/stream_lib.sh"

[ -d "$DATA/precog" ] || { echo "SKIP: no $DATA/precog"; exit 77; }
P=$DATA/precog
COMMON=(--data "$P" --format precog --subjects 1 --epochs 1 --stride 4 --seed 7 --threads 1)
EXPLICIT=(--arch tcn --hidden 64 --layers 4 --window 31 --frame-norm --refractory 30)

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
    train "$TMP/explicit.model" "${EXPLICIT[@]}" --lr 1e-3 &&
    train "$TMP/lr3.model" "${EXPLICIT[@]}" --lr 3e-3; then
    cmp -s "$TMP/default.model" "$TMP/explicit.model" &&
        ok "no --arch = tcn 4x64 window 31 frame_norm refractory 30 lr 1e-3 (identical files)" ||
        bad "no --arch differs from the explicit shipped recipe"
    cmp -s "$TMP/default.model" "$TMP/lr3.model" &&
        bad "no --arch trains with lr 3e-3 (same file as --lr 3e-3)" ||
        ok "no --arch does not train with lr 3e-3"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
