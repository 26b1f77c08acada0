#!/bin/bash
# The live viewer in a real browser: `skelact recognize --model M --http 0`
# while a PRECOG take is replayed into it (`skelact replay ... --to`), and
# Debian's chromium, headless, loads the page:
#   1. before any frame, a screenshot shows an empty canvas (the control: the
#      pixel count below can fail);
#   2. --dump-dom: the page received 60 frames (its counter, written into the
#      DOM), drew class-probability bars with the model's label names;
#   3. --screenshot: the canvas shows a drawn skeleton (pixels of the body
#      colour, counted by a small PNG decoder on python3's zlib).
# Skips (77) without chromium or the dataset. Screenshots are kept in
# $SK_BUILD_DIR/viewer_*.png for a look.
. "$(dirname "$0")/stream_lib.sh"

CHROME=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROME" ] || { echo "SKIP: chromium not installed (apt-get install chromium)"; exit 77; }
PY=/usr/bin/python3
[ -x "$PY" ] || { echo "SKIP: $PY not found (the PNG check needs it)"; exit 77; }
OUT=${SK_BUILD_DIR:-$TMP}

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

# browser URL ARGS...: headless chromium with its own profile, at most 90 s.
browser() {
    local url=$1
    shift
    timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --user-data-dir="$(mktemp -d "$TMP/profile.XXXXXX")" \
        --window-size=1000,700 "$@" "$url" 2>>"$TMP/chromium.log"
}

# skeleton_pixels PNG: pixels of the first body's colour (#4fc3f7).
skeleton_pixels() {
    "$PY" - "$1" <<'PYEOF'
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("not a PNG: %s" % path)
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        print("unsupported PNG: depth %d colour type %d interlace %d" % (depth, ctype, interlace))
        sys.exit(2)
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = decode(sys.argv[1])
    cols = [tuple(int(c[i:i + 2], 16) for i in (0, 2, 4)) for c in sys.argv[2].split(",")]
    tol = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    n = 0
    for line in rows:
        for x in range(0, w * bpp, bpp):
            r, g, b = line[x], line[x + 1], line[x + 2]
            for cr, cg, cb in cols:
                if abs(r - cr) <= tol and abs(g - cg) <= tol and abs(b - cb) <= tol:
                    n += 1
                    break
    print(w, h, n)



w, h, bpp, rows = decode(sys.argv[1])
n = 0
for line in rows:
    for x in range(0, w * bpp, bpp):
        if abs(line[x] - 0x4f) <= 40 and abs(line[x + 1] - 0xc3) <= 40 and abs(line[x + 2] - 0xf7) <= 40:
            n += 1
print(n)
PYEOF
}

LPORT=$(free_port)
"$BIN" recognize --listen "127.0.0.1:$LPORT" --model "$MODEL" --events none --http 0 \
    >"$TMP/recognize.out" 2>"$TMP/recognize.err" &
RPID=$!
PIDS+=("$RPID")
wait_bound tcp "$LPORT" "$RPID" || { cat "$TMP/recognize.err"; bad "recognize did not start"; exit 1; }
HPORT=""
for i in $(seq 1 100); do
    HPORT=$(sed -n 's|.*live view on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/recognize.err")
    [ -n "$HPORT" ] && break
    sleep 0.05
done
check_gt0 "recognize prints the viewer's port" "$HPORT"
URL="http://127.0.0.1:$HPORT/?frames=60"

# 1. No frames yet: the canvas is empty.
# (--timeout, not a virtual time budget: virtual time stands still while the
# event stream is open and nothing arrives.)
browser "$URL" --timeout=3000 --screenshot="$OUT/viewer_empty.png" >/dev/null
EMPTY=$(skeleton_pixels "$OUT/viewer_empty.png")
echo "     (empty page: $EMPTY body-coloured pixels)"
if [ -n "$EMPTY" ] && [ "$EMPTY" -lt 50 ]; then ok "no skeleton before any frame"; else bad "empty canvas: $EMPTY pixels"; fi

# 2. and 3. while the take plays (three times over, at its own 30 fps). The
# page closes its stream after 60 frames (?frames=60), so the virtual time
# budget then runs out and chromium dumps or shoots what the page shows.
"$BIN" replay "$TAKE" "$TAKE" "$TAKE" --to "127.0.0.1:$LPORT" --speed 1 >"$TMP/replay.out" 2>&1 &
PPID_=$!
PIDS+=("$PPID_")
browser "$URL" --virtual-time-budget=15000 --dump-dom >"$TMP/dom.html"
FR=$(sed -n 's/.*id="frames">\([0-9]*\)<.*/\1/p' "$TMP/dom.html" | head -1)
check_eq "frames counted in the page" "$FR" 60
grep -q 'data-done="1"' "$TMP/dom.html" && ok "the page finished its 60 frames" || bad "page not done"
BARS=$(grep -o 'class="bar[ a-z]*"' "$TMP/dom.html" | wc -l)
check_gt0 "probability bars drawn" "$BARS"
LABEL0=$(grep -o 'class="name">[^<]*<' "$TMP/dom.html" | head -1)
[ -n "$LABEL0" ] && ok "bars carry label names ($LABEL0)" || bad "no label names"

browser "$URL" --virtual-time-budget=15000 --screenshot="$OUT/viewer_live.png" >/dev/null
LIVE=$(skeleton_pixels "$OUT/viewer_live.png")
echo "     (live page: $LIVE body-coloured pixels; screenshot $OUT/viewer_live.png)"
if [ -n "$LIVE" ] && [ "$LIVE" -gt 300 ]; then ok "a skeleton is drawn"; else bad "no skeleton drawn: $LIVE pixels"; fi

kill "$PPID_" 2>/dev/null
kill -TERM "$RPID"
wait_exit "$RPID" 20
check_eq "recognize exit status after SIGTERM" "$RC" 0
F=$(value frames "$TMP/recognize.err")
check_gt0 "frames recognized" "$F"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
