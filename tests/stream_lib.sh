# Helpers shared by the end-to-end streaming tests (sourced, not a test).
# Sets BIN, DATA, TMP, TAKE, TAKE2, N1; cleans up background processes and
# $TMP on exit.
BIN=${SK_BIN:-build/skelact}
DATA=${SK_DATA_DIR:-../shared/data}
TMP=$(mktemp -d /tmp/sk_stream.XXXXXX)
PIDS=()
FAILED=0
PASSED=0

cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }
# check NAME ACTUAL EXPECTED
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else bad "$1: got '$2', want '$3'"; fi
}
check_gt0() {
    if [ -n "$2" ] && [ "$2" -gt 0 ] 2>/dev/null; then ok "$1 ($2)"; else bad "$1: got '$2', want > 0"; fi
}

[ -x "$BIN" ] || { echo "SKIP: $BIN not built"; exit 77; }
# Prefer the project's bundled takes, fall back to the shared dataset.
TAKE=""
for f in data/precog/Seq1_1.csv "$DATA/precog/Seq1_1.csv"; do
    [ -r "$f" ] && { TAKE=$f; break; }
done
TAKE2=""
for f in data/precog/Seq1_2.csv "$DATA/precog/Seq1_2.csv"; do
    [ -r "$f" ] && { TAKE2=$f; break; }
done
[ -n "$TAKE" ] || { echo "SKIP: no PRECOG take found (data/precog or $DATA/precog)"; exit 77; }
# Frames in a PRECOG file: every non-empty line but the header.
take_frames() { tail -n +2 "$1" | grep -c '[0-9]'; }
N1=$(take_frames "$TAKE")
echo "take $TAKE: $N1 frames"

# value KEY FILE: the last "KEY=N" on the last summary-like line of FILE.
value() {
    grep -o "\b$1=[0-9]*" "$2" 2>/dev/null | tail -n 1 | cut -d= -f2
}

# Is PORT bound (TCP listening or UDP bound) on this machine? Reads /proc so
# the probe never connects (a connection would count as a peer).
port_bound() { # proto port
    local hex
    hex=$(printf ':%04X ' "$2")
    if [ "$1" = tcp ]; then
        cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h="$hex" '$2 ~ h"$" || index($2" ", h) { if ($4 == "0A") f = 1 } END { exit !f }'
    else
        cat /proc/net/udp /proc/net/udp6 2>/dev/null | awk -v h="$hex" 'index($2" ", h) { f = 1 } END { exit !f }'
    fi
}
port_used() { # port: in use in any state, TCP or UDP
    local hex
    hex=$(printf ':%04X ' "$1")
    cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null |
        awk -v h="$hex" 'index($2" ", h) { f = 1 } END { exit !f }'
}
# Is there an established TCP connection to local PORT? (/proc, no probe.)
port_established() {
    local hex
    hex=$(printf ':%04X ' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h="$hex" 'index($2" ", h) { if ($4 == "01") f = 1 } END { exit !f }'
}
# wait_drained PORT: until the server side of every TCP connection to local
# PORT is gone (the receiver read each to its end and closed it), at most
# 10 s. No ESTABLISHED (01) or CLOSE_WAIT (08) socket on PORT is left.
wait_drained() {
    local hex i
    hex=$(printf ':%04X ' "$1")
    for i in $(seq 1 200); do
        cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
            awk -v h="$hex" 'index($2" ", h) { if ($4 == "01" || $4 == "08") f = 1 } END { exit !f }' || return 0
        sleep 0.05
    done
    return 1
}
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        port_used "$p" || { echo "$p"; return; }
    done
}
# wait_bound proto port pid: until bound (0), or the process died (1), or 10 s.
wait_bound() {
    local i
    for i in $(seq 1 200); do
        port_bound "$1" "$2" && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
# wait_exit PID SECONDS: wait for a background process, kill it after the
# bound (a stall is a failure, not a hang). Sets $RC.
wait_exit() {
    local i
    for i in $(seq 1 $(($2 * 20))); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$1" 2>/dev/null; then
        kill -9 "$1" 2>/dev/null
        wait "$1" 2>/dev/null
        RC=137
        return 1
    fi
    wait "$1"
    RC=$?
    return 0
}

# start_record OUT ERR ARGS...: record --listen on a fresh port into OUT,
# stderr into ERR; sets REC_PORT and RECPID. Retries on a port race; returns
# 1 (REC_PORT empty) if it never started.
start_record() {
    local out=$1 err=$2 try
    shift 2
    for try in 1 2 3; do
        REC_PORT=$(free_port)
        "$BIN" record --listen "127.0.0.1:$REC_PORT" --out "$out" "$@" 2>"$err" &
        RECPID=$!
        PIDS+=("$RECPID")
        wait_bound tcp "$REC_PORT" "$RECPID" && return 0
    done
    REC_PORT=""
    return 1
}

# start_recognize NAME proto(tcp|udp) ARGS...: recognize --listen on a fresh
# port; sets PORT and RPID, stderr into $TMP/NAME.err. Retries on a port race.
start_recognize() {
    local name=$1 kind=$2 try
    shift 2
    for try in 1 2 3 4 5; do
        PORT=$(free_port)
        "$BIN" recognize --listen "127.0.0.1:$PORT" "$@" 2>"$TMP/$name.err" &
        RPID=$!
        PIDS+=("$RPID")
        wait_bound "$kind" "$PORT" "$RPID" && return 0
        kill -9 "$RPID" 2>/dev/null
        wait "$RPID" 2>/dev/null
    done
    bad "$name: recognize did not start: $(cat "$TMP/$name.err")"
    return 1
}

