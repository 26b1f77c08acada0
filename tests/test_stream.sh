#!/bin/bash
# End-to-end streaming tests: the built program ($SK_BIN) replays PRECOG takes
# into `skelact recognize` over TCP text, TCP binary, UDP and the seed habit,
# records and replays a recording, and survives a restarted receiver and a
# killed sender. Hostile input lives in test_hostile.sh.
#
# Every check is on counts (frames=, parse_errors=, exit status), never on
# time. Every background process is killed on exit; ports are random high
# ports, checked free first and retried.
set -u

. "$(dirname "$0")/stream_lib.sh"

# roundtrip NAME KIND "RECOGNIZE ARGS" "REPLAY ARGS" EXPECTED_FRAMES FILES...
roundtrip() {
    local name=$1 kind=$2 rargs=$3 pargs=$4 want=$5
    shift 5
    # shellcheck disable=SC2086
    start_recognize "$name" "$kind" --exit-on-eof $rargs || return
    # shellcheck disable=SC2086
    timeout 60 "$BIN" replay "$@" --to "127.0.0.1:$PORT" $pargs 2>"$TMP/$name.replay.err"
    local prc=$?
    check_eq "$name: replay exit status" "$prc" 0
    check_eq "$name: replay sent" "$(value sent "$TMP/$name.replay.err")" "$want"
    wait_exit "$RPID" 30
    check_eq "$name: recognize exit status" "$RC" 0
    check_eq "$name: frames" "$(value frames "$TMP/$name.err")" "$want"
    check_eq "$name: parse_errors" "$(value parse_errors "$TMP/$name.err")" 0
    check_eq "$name: summary lines" "$(grep -c '^frames=' "$TMP/$name.err")" 1
}

# ---- the take arrives whole over each transport -----------------------------
roundtrip tcp_text tcp "--proto text" "--proto text --speed 0" "$N1" "$TAKE"
roundtrip tcp_binary tcp "--proto binary" "--proto binary --speed 0" "$N1" "$TAKE"
roundtrip tcp_auto_binary tcp "--proto auto" "--proto binary --speed 0" "$N1" "$TAKE"
roundtrip tcp_auto_text tcp "" "--proto text --speed 0" "$N1" "$TAKE"
# UDP has no flow control: flat out (--speed 0) can overflow the receiver's socket
# buffer (more so under sanitizers), so UDP runs are paced; 30x real time is fast.
roundtrip udp_binary udp "--udp --proto binary" "--udp --proto binary --speed 30" "$N1" "$TAKE"
roundtrip udp_binary_rate udp "--udp --proto binary" "--udp --proto binary --speed 10" "$N1" "$TAKE"
roundtrip udp_text udp "--udp --proto text" "--udp --proto text --speed 10" "$N1" "$TAKE"
roundtrip udp_auto udp "--udp" "--udp --proto binary --speed 10" "$N1" "$TAKE"
roundtrip joints20 tcp "--proto text --joints 20" "--proto text --speed 0" "$N1" "$TAKE"
roundtrip joints_kinect1 tcp "--proto text --joints kinect1" "--proto text --speed 0" "$N1" "$TAKE"
roundtrip seed_listen tcp "--proto seed" "--proto seed --speed 0" "$N1" "$TAKE"
roundtrip seed_padded tcp "--proto seed" "--proto seed --seed-pad 4096 --speed 0" "$N1" "$TAKE"
roundtrip seed_auto tcp "--proto seed --joints 20" "--proto seed --seed-pad 100 --speed 0" "$N1" "$TAKE"
if [ -n "$TAKE2" ]; then
    N2=$(take_frames "$TAKE2")
    roundtrip two_files tcp "--proto binary" "--proto binary --speed 0" "$((N1 + N2))" "$TAKE" "$TAKE2"
    roundtrip loop3 tcp "--proto binary" "--proto binary --speed 0 --loop 3" "$((3 * N1))" "$TAKE"
fi
# At a (scaled) real rate as well: timing paths, not timing checks.
roundtrip tcp_binary_rate tcp "--proto binary" "--proto binary --speed 20" "$N1" "$TAKE"

# ---- recognize connects to a listening sensor (replay --listen) ------------
reverse() { # NAME "RECOGNIZE ARGS" "REPLAY ARGS"
    local name=$1 rargs=$2 pargs=$3 try
    for try in 1 2 3; do
        PORT=$(free_port)
        # shellcheck disable=SC2086
        timeout 60 "$BIN" replay "$TAKE" --listen "127.0.0.1:$PORT" $pargs 2>"$TMP/$name.replay.err" &
        local ppid=$!
        PIDS+=("$ppid")
        wait_bound tcp "$PORT" "$ppid" && break
        kill -9 "$ppid" 2>/dev/null
        wait "$ppid" 2>/dev/null
        ppid=""
    done
    [ -n "$ppid" ] || { bad "$name: replay --listen did not start: $(cat "$TMP/$name.replay.err")"; return; }
    # shellcheck disable=SC2086
    timeout 60 "$BIN" recognize --connect "127.0.0.1:$PORT" --exit-on-eof $rargs 2>"$TMP/$name.err"
    check_eq "$name: recognize exit status" "$?" 0
    wait_exit "$ppid" 30
    check_eq "$name: replay exit status" "$RC" 0
    check_eq "$name: replay sent" "$(value sent "$TMP/$name.replay.err")" "$N1"
    check_eq "$name: frames" "$(value frames "$TMP/$name.err")" "$N1"
    check_eq "$name: parse_errors" "$(value parse_errors "$TMP/$name.err")" 0
}
reverse connect_binary "--proto binary" "--proto binary --speed 0"
reverse connect_text "--proto text" "--proto text --speed 0"
reverse connect_seed "--proto seed" "--proto seed --speed 0"
reverse connect_seed_padded "--proto seed" "--proto seed --seed-pad 1000 --speed 0"

# ---- record, then replay the recording: the same frames ---------------------
if start_record "$TMP/take.skrec" "$TMP/record.err" --exit-on-eof; then
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$REC_PORT" --proto binary --speed 0 2>"$TMP/rec.replay.err"
    wait_exit "$RECPID" 30
    check_eq "record: exit status" "$RC" 0
    check_eq "record: frames" "$(value frames "$TMP/record.err")" "$N1"
    # The recording replayed: same count, and recorded again it is the same.
    roundtrip skrec_replay tcp "--proto binary" "--proto binary --speed 0" "$N1" "$TMP/take.skrec"
    roundtrip skrec_rate tcp "--proto text" "--proto text --speed 10 --format skrec" "$N1" "$TMP/take.skrec"
    # Frame for frame: record the recording's replay and compare the joints
    # as text (replay --proto text to a recorder is lossless at %.9g).
    start_record "$TMP/take2.skrec" "$TMP/record2.err" --exit-on-eof
    timeout 60 "$BIN" replay "$TMP/take.skrec" --to "127.0.0.1:$REC_PORT" --proto binary --speed 0 2>/dev/null
    wait_exit "$RECPID" 30
    check_eq "record of the recording: frames" "$(value frames "$TMP/record2.err")" "$N1"
    # Frame for frame: both recordings and the CSV hold the same joints
    # (replay --dump prints the frames as text lines at %.9g).
    "$BIN" replay --dump --proto text "$TMP/take.skrec" >"$TMP/a.txt" 2>/dev/null
    "$BIN" replay --dump --proto text "$TMP/take2.skrec" >"$TMP/b.txt" 2>/dev/null
    "$BIN" replay --dump --proto text "$TAKE" >"$TMP/c.txt" 2>/dev/null
    check_eq "record: dump lines" "$(grep -c . "$TMP/a.txt")" "$N1"
    if cmp -s "$TMP/a.txt" "$TMP/b.txt"; then ok "record: same joints after a replay"; else bad "record: joints differ after a replay"; fi
    if cmp -s "$TMP/a.txt" "$TMP/c.txt"; then ok "record: same joints as the CSV"; else bad "record: joints differ from the CSV"; fi
    # And the CSV's first frame, as the file writes it, is the dump's (to
    # float precision: the CSV has 7 significant digits, a float ~7.2).
    tail -n +2 "$TAKE" | grep '[0-9]' | head -n 1 | tr ';' ' ' | awk '{ NF = 60; print }' >"$TMP/first.csv"
    head -n 1 "$TMP/a.txt" | tr ',' ' ' >"$TMP/first.rec"
    if paste -d' ' "$TMP/first.csv" "$TMP/first.rec" |
        awk '{ if (NF != 120) exit 1; for (i = 1; i <= 60; i++) { d = $i - $(i + 60); if (d < 0) d = -d; if (d > 1e-6) exit 1 } }'; then
        ok "record: first frame matches the CSV"
    else
        bad "record: first frame differs from the CSV"
    fi
else
    bad "record: did not start: $(cat "$TMP/record.err")"
fi

# ---- record --frames N stops after N frames ----------------------------------
start_record "$TMP/ten.skrec" "$TMP/record10.err" --frames 10
timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$REC_PORT" --proto binary --speed 0 2>/dev/null
wait_exit "$RECPID" 30
check_eq "record --frames 10: exit status" "$RC" 0
check_eq "record --frames 10: frames" "$(value frames "$TMP/record10.err")" 10
roundtrip skrec_ten tcp "--proto binary" "--proto binary --speed 0" 10 "$TMP/ten.skrec"

# ---- SIGTERM and SIGINT: one summary line, exit 0 ---------------------------
for sig in TERM INT; do
    start_recognize "sig$sig" tcp --proto binary || continue
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$PORT" --proto binary --speed 0 2>/dev/null
    wait_drained "$PORT"
    kill -s "$sig" "$RPID"
    wait_exit "$RPID" 10
    check_eq "SIG$sig: recognize exit status" "$RC" 0
    check_eq "SIG$sig: frames" "$(value frames "$TMP/sig$sig.err")" "$N1"
    check_eq "SIG$sig: one summary line" "$(grep -c '^frames=[0-9]* events=0 parse_errors=[0-9]* dropped=[0-9]*' "$TMP/sig$sig.err")" 1
done

# ---- the sender killed mid-stream, then a new sender arrives whole ----------
# An idle "holder" connection keeps --exit-on-eof from ending the run when
# the killed sender's connection closes; closing it at the end is the end of
# input (the last peer gone), after the new sender's bytes have all been read.
if start_recognize killed tcp --proto binary --exit-on-eof; then
    exec {HOLD}<>"/dev/tcp/127.0.0.1/$PORT"
    "$BIN" replay "$TAKE" --to "127.0.0.1:$PORT" --proto binary --speed 2 --loop 100 2>/dev/null &
    KPID=$!
    PIDS+=("$KPID")
    sleep 1
    kill -9 "$KPID"
    wait "$KPID" 2>/dev/null
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$PORT" --proto binary --speed 0 2>"$TMP/killed.replay.err"
    check_eq "killed sender: next replay exit status" "$?" 0
    kill -0 "$RPID" 2>/dev/null && ok "killed sender: recognize still running" || bad "killed sender: recognize ended early"
    exec {HOLD}>&-
    wait_exit "$RPID" 30
    check_eq "killed sender: recognize exit status" "$RC" 0
    f=$(value frames "$TMP/killed.err")
    if [ -n "$f" ] && [ "$f" -ge "$N1" ]; then ok "killed sender: the next replay arrived ($f >= $N1)"; else bad "killed sender: frames=$f < $N1"; fi
fi

# ---- the receiver restarted while the sender runs ---------------------------
if start_recognize restart1 tcp --proto binary; then
    "$BIN" replay "$TAKE" --to "127.0.0.1:$PORT" --proto binary --speed 4 --loop 6 2>"$TMP/restart.replay.err" &
    LPID=$!
    PIDS+=("$LPID")
    # Until the sender is connected to the first recognizer (bounded).
    for i in $(seq 1 200); do port_established "$PORT" && break; sleep 0.05; done
    sleep 1
    kill -TERM "$RPID"
    wait_exit "$RPID" 10
    check_eq "restart: first recognizer exit status" "$RC" 0
    echo "     (first recognizer: $(grep '^frames=' "$TMP/restart1.err"))"
    sleep 0.5
    # Same port: the sender reconnects by itself.
    "$BIN" recognize --listen "127.0.0.1:$PORT" --proto binary --exit-on-eof 2>"$TMP/restart2.err" &
    R2=$!
    PIDS+=("$R2")
    wait_exit "$LPID" 120
    check_eq "restart: replay exit status" "$RC" 0
    wait_exit "$R2" 30
    check_eq "restart: second recognizer exit status" "$RC" 0
    check_gt0 "restart: second recognizer frames" "$(value frames "$TMP/restart2.err")"
    check_eq "restart: second recognizer parse_errors" "$(value parse_errors "$TMP/restart2.err")" 0
    check_gt0 "restart: the sender reconnected" "$(value reconnects "$TMP/restart.replay.err")"
    echo "     (replay: $(tail -n 1 "$TMP/restart.replay.err"))"
fi

# ---- --joints 25 rejects 20-joint lines: each one a parse error ---------------
if start_recognize joints25 tcp --proto text --joints 25; then
    timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$PORT" --proto text --speed 0 2>/dev/null
    wait_drained "$PORT"
    kill -TERM "$RPID"
    wait_exit "$RPID" 10
    check_eq "joints25: exit status" "$RC" 0
    check_eq "joints25: frames" "$(value frames "$TMP/joints25.err")" 0
    check_gt0 "joints25: parse_errors" "$(value parse_errors "$TMP/joints25.err")"
fi

# ---- record stopped by SIGINT: the file is whole and replays ----------------
start_record "$TMP/int.skrec" "$TMP/recint.err"
timeout 60 "$BIN" replay "$TAKE" --to "127.0.0.1:$REC_PORT" --proto binary --speed 0 2>/dev/null
wait_drained "$REC_PORT"
kill -INT "$RECPID"
wait_exit "$RECPID" 10
check_eq "record SIGINT: exit status" "$RC" 0
f=$(value frames "$TMP/recint.err")
check_eq "record SIGINT: frames" "$f" "$N1"
check_eq "record SIGINT: the file holds them" "$("$BIN" replay --dump --proto text "$TMP/int.skrec" 2>/dev/null | grep -c .)" "$f"

# (the demo has its own test: tests/test_demo.sh)

# ---- bad arguments: exit 2, one line -----------------------------------------
badargs() { # NAME ARGS...
    local name=$1
    shift
    timeout 10 "$BIN" "$@" >/dev/null 2>"$TMP/bad.err"
    local rc=$?
    check_eq "bad args $name: exit status" "$rc" 2
    check_eq "bad args $name: one line" "$(wc -l <"$TMP/bad.err")" 1
}
badargs replay_noto replay "$TAKE"
badargs replay_nofile replay --to 127.0.0.1:9
badargs replay_missing replay "$TMP/nope.csv" --to 127.0.0.1:9
badargs replay_port replay "$TAKE" --to 127.0.0.1:70000
badargs replay_proto replay "$TAKE" --to 127.0.0.1:9 --proto morse
badargs replay_speed replay "$TAKE" --to 127.0.0.1:9 --speed -1
badargs replay_speedx replay "$TAKE" --to 127.0.0.1:9 --speed fast
badargs replay_format replay "$TAKE" --to 127.0.0.1:9 --format jpeg
badargs replay_both replay "$TAKE" --to 127.0.0.1:9 --listen 127.0.0.1:9
badargs replay_unknown replay "$TAKE" --to 127.0.0.1:9 --frobnicate
badargs replay_loop replay "$TAKE" --to 127.0.0.1:9 --loop 0
badargs replay_pad replay "$TAKE" --to 127.0.0.1:9 --seed-pad 10
badargs replay_udp_seed replay "$TAKE" --to 127.0.0.1:9 --udp --proto seed
badargs recognize_udp_connect recognize --connect 127.0.0.1:9 --udp
badargs replay_garbage replay /etc/passwd --to 127.0.0.1:9 --format precog
badargs recognize_none recognize
badargs recognize_both recognize --listen 127.0.0.1:9 --connect 127.0.0.1:9
badargs recognize_proto recognize --listen 127.0.0.1:9 --proto xml
badargs recognize_joints recognize --listen 127.0.0.1:9 --joints 17
badargs recognize_model recognize --listen 127.0.0.1:9 --model "$TMP/no.model"
badargs recognize_maxconns recognize --listen 127.0.0.1:9 --max-conns 0
badargs recognize_addr recognize --listen nohost:x
badargs recognize_extra recognize --listen 127.0.0.1:9 stray
badargs record_noout record --listen 127.0.0.1:9
badargs record_nolisten record --out "$TMP/x.skrec"
badargs record_dir record --listen 127.0.0.1:9 --out /nonexistent/dir/x.skrec
badargs record_frames record --listen 127.0.0.1:9 --out "$TMP/x.skrec" --frames -3
grep -q '^skelact recognize: m: ' <(timeout 10 "$BIN" recognize --listen 127.0.0.1:9 --model m 2>&1) &&
    ok "recognize --model: clear message" || bad "recognize --model: message"

# ---- --help: exit 0, mentions the options -------------------------------------
for c in replay recognize record demo; do
    timeout 10 "$BIN" "$c" --help >"$TMP/help.out" 2>&1
    check_eq "$c --help exit status" "$?" 0
done
grep -q -- '--exit-on-eof' <("$BIN" recognize --help 2>&1) && ok "recognize --help documents --exit-on-eof" || bad "recognize --help"
grep -qi 'end of input' <("$BIN" recognize --help 2>&1) && ok "recognize --help defines end of input" || bad "recognize --help: end of input"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
