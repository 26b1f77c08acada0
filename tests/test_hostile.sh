#!/bin/bash
# Hostile input into `skelact recognize` ($SK_BIN): random bytes, an endless
# line, a huge binary length, half frames, a peer that stalls mid-frame,
# hundreds of idle connections, more connections than --max-conns, garbage
# UDP datagrams and seed-habit connections. None may crash or stall it; the
# bad input is counted (parse_errors > 0), and a real replay on another
# connection meanwhile arrives whole (frames= equals the take's count: the
# garbage adds no frame).
#
# Checks are on counts and exit status only, never on time; a stall shows up
# as a recognizer that does not exit after its last peer left (killed after a
# generous bound and reported).
set -u

. "$(dirname "$0")/stream_lib.sh"

# The wire bytes of the take (replay --dump writes the encoded stream).
"$BIN" replay --dump --proto binary "$TAKE" >"$TMP/take.bin" 2>/dev/null
"$BIN" replay --dump --proto text "$TAKE" >"$TMP/take.txt" 2>/dev/null
BIN_BYTES=$(stat -c %s "$TMP/take.bin")
FRAME_BYTES=$((BIN_BYTES / N1))
check_gt0 "binary dump bytes" "$BIN_BYTES"
check_eq "text dump lines" "$(grep -c . "$TMP/take.txt")" "$N1"

# send PORT: stdin to a new TCP connection, then close it. A peer the
# recognizer closes on a protocol error makes the writer die of SIGPIPE or
# EPIPE: expected, so errors are ignored.
send() {
    (exec 2>/dev/null; cat >"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    return 0
}

# ---- TCP: every kind of garbage, with a real sender beside it --------------
hostile_tcp() { # NAME PROTO
    local name=$1 proto=$2 i
    start_recognize "$name" tcp --proto "$proto" --exit-on-eof --max-conns 400 || return
    local port=$PORT
    # Holder: keeps the end of input away until every sender is done.
    exec {HOLD}<>"/dev/tcp/127.0.0.1/$port"
    # Hundreds of idle connections.
    local idle=()
    for i in $(seq 1 300); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" && idle+=("$fd")
    done
    check_eq "$name: idle connections opened" "${#idle[@]}" 300
    # A stalled peer: half a binary frame, then silence (kept open).
    exec {STALL}<>"/dev/tcp/127.0.0.1/$port"
    head -c $((FRAME_BYTES / 2)) "$TMP/take.bin" >&"$STALL"
    # A stalled text peer: half a line, kept open.
    exec {STALL2}<>"/dev/tcp/127.0.0.1/$port"
    head -n 1 "$TMP/take.txt" | head -c 100 >&"$STALL2"

    # Random bytes, several connections.
    for i in 1 2 3 4; do head -c 65536 /dev/urandom | send "$port"; done
    # Random bytes after one valid frame (auto decides binary, then garbage):
    # that frame counts, so the total below is the take plus one.
    { head -c "$FRAME_BYTES" "$TMP/take.bin"; head -c 20000 /dev/urandom; } | send "$port"
    # An endless line: 4 MB of digits without a newline.
    head -c 4000000 /dev/zero | tr '\0' '7' | send "$port"
    # Lines with the wrong count, NaN, Inf, words.
    printf '1,2,3\n1,2,3,4,5,6\nnan,%s\ninf %s\nhello world\n' \
        "$(seq -s, 1 59)" "$(seq -s ' ' 1 59)" | send "$port"
    # A huge binary length: the magic, then a header of 0xff bytes.
    { printf 'SKL1'; head -c 28 /dev/zero | tr '\0' '\377'; head -c 3000 /dev/urandom; } | send "$port"
    # The magic with a plausible header and nothing after (half a frame).
    head -c 40 "$TMP/take.bin" | send "$port"
    # A frame with one bit flipped in its payload (CRC mismatch), then the
    # rest of the take: that one frame is lost on this connection only.
    local b41
    b41=$(head -c 41 "$TMP/take.bin" | tail -c 1 | od -An -tu1 | tr -d ' ')
    { head -c 40 "$TMP/take.bin"; printf "\\$(printf %03o $(((b41 + 1) % 256)))"; tail -c +42 "$TMP/take.bin" | head -c $((FRAME_BYTES - 41)); } | send "$port"
    # Half frames, each on its own connection.
    for i in 1 7 31 $((FRAME_BYTES - 1)); do head -c "$i" "$TMP/take.bin" | send "$port"; done

    # The real sender, on its own connection, while all the above are open.
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$port" --proto binary --speed 0 2>"$TMP/$name.replay.err"
    check_eq "$name: real replay exit status" "$?" 0
    kill -0 "$RPID" 2>/dev/null && ok "$name: recognize alive after the garbage" || bad "$name: recognize died"

    # More garbage after the real one, so the decoder state of a closed peer
    # cannot leak into a new one.
    head -c 10000 /dev/urandom | send "$port"

    for fd in "${idle[@]}"; do exec {fd}>&-; done
    exec {STALL}>&- {STALL2}>&- {HOLD}>&-
    wait_exit "$RPID" 30
    check_eq "$name: recognize exit status (a stall is 137)" "$RC" 0
    check_eq "$name: frames (the real take and the one valid frame)" "$(value frames "$TMP/$name.err")" "$((N1 + 1))"
    check_gt0 "$name: parse_errors counted" "$(value parse_errors "$TMP/$name.err")"
    check_eq "$name: one summary line" "$(grep -c '^frames=' "$TMP/$name.err")" 1
    echo "     ($name: $(grep '^frames=' "$TMP/$name.err"))"
}
hostile_tcp hostile_auto auto
hostile_tcp hostile_binary binary

# Text proto: the garbage is mostly lines; the real sender sends text.
if start_recognize hostile_text tcp --proto text --exit-on-eof --max-conns 64; then
    port=$PORT
    exec {HOLD}<>"/dev/tcp/127.0.0.1/$port"
    head -c 65536 /dev/urandom | send "$port"
    head -c 4000000 /dev/zero | tr '\0' '1' | send "$port"
    printf '1,2,3\nnan,%s\n' "$(seq -s, 1 59)" | send "$port"
    head -c 300 "$TMP/take.txt" | send "$port"
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$port" --proto text --speed 0 2>/dev/null
    check_eq "hostile_text: real replay exit status" "$?" 0
    exec {HOLD}>&-
    wait_exit "$RPID" 30
    check_eq "hostile_text: recognize exit status" "$RC" 0
    # The 300-byte head holds one whole line (a frame) and half of the next.
    f=$(value frames "$TMP/hostile_text.err")
    whole=$(head -c 300 "$TMP/take.txt" | grep -c '')
    head -c 300 "$TMP/take.txt" | tail -c 1 | grep -q . && whole=$((whole - 1)) # last line is partial
    check_eq "hostile_text: frames (take + whole lines of the head)" "$f" "$((N1 + whole))"
    check_gt0 "hostile_text: parse_errors counted" "$(value parse_errors "$TMP/hostile_text.err")"
fi

# ---- more connections than --max-conns: refused, counted, no harm -----------
if start_recognize maxconns tcp --proto binary --exit-on-eof --max-conns 8; then
    port=$PORT
    conns=()
    for i in $(seq 1 40); do
        exec {fd}<>"/dev/tcp/127.0.0.1/$port" && conns+=("$fd")
    done
    # Close them all and wait until the recognizer has dealt with each (read
    # it to its end, or refused it): a real sender arriving while the slots
    # are still full would be refused too, by design.
    for fd in "${conns[@]}"; do exec {fd}>&-; done
    wait_drained "$port" || bad "maxconns: connections not drained in 10 s"
    kill -0 "$RPID" 2>/dev/null && ok "maxconns: recognize alive" || bad "maxconns: recognize died"
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$port" --proto binary --speed 0 2>/dev/null
    check_eq "maxconns: real replay exit status" "$?" 0
    wait_exit "$RPID" 30
    check_eq "maxconns: recognize exit status" "$RC" 0
    check_eq "maxconns: frames" "$(value frames "$TMP/maxconns.err")" "$N1"
    check_gt0 "maxconns: refused counted" "$(value refused "$TMP/maxconns.err")"
    echo "     (maxconns: $(grep '^frames=' "$TMP/maxconns.err"))"
fi

# ---- UDP: garbage datagrams, then a real take -----------------------------
if start_recognize hostile_udp udp --udp --proto binary --exit-on-eof; then
    port=$PORT
    for i in $(seq 1 20); do
        head -c $((1 + RANDOM % 1400)) /dev/urandom >"/dev/udp/127.0.0.1/$port"
    done
    head -c 40 "$TMP/take.bin" >"/dev/udp/127.0.0.1/$port"      # half a datagram
    { printf 'SKL1'; head -c 60 /dev/zero | tr '\0' '\377'; } >"/dev/udp/127.0.0.1/$port"
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$port" --udp --proto binary --speed 10 2>/dev/null
    check_eq "hostile_udp: real replay exit status" "$?" 0
    wait_exit "$RPID" 30
    check_eq "hostile_udp: recognize exit status" "$RC" 0
    check_eq "hostile_udp: frames" "$(value frames "$TMP/hostile_udp.err")" "$N1"
    check_gt0 "hostile_udp: parse_errors counted" "$(value parse_errors "$TMP/hostile_udp.err")"
fi

# ---- seed habit: garbage connections among the per-frame ones -------------
if start_recognize hostile_seed tcp --proto seed --exit-on-eof --eof-idle 2000; then
    port=$PORT
    head -c 5000 /dev/urandom | send "$port"
    head -c 100000 /dev/zero | tr '\0' '3' | send "$port"
    exec {IDLE}<>"/dev/tcp/127.0.0.1/$port" # an idle seed connection
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$port" --proto seed --speed 0 2>/dev/null
    check_eq "hostile_seed: real replay exit status" "$?" 0
    exec {IDLE}>&-
    wait_exit "$RPID" 30
    check_eq "hostile_seed: recognize exit status" "$RC" 0
    check_eq "hostile_seed: frames" "$(value frames "$TMP/hostile_seed.err")" "$N1"
    check_gt0 "hostile_seed: parse_errors counted" "$(value parse_errors "$TMP/hostile_seed.err")"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
