#!/bin/bash
# `skelact demo` end to end: --fast replays the bundled takes into the
# in-process recognizer over TCP and must print recognized moves and a
# summary whose counts add up; missing files give exit 2 and one line.
# Checks are on counts and exit status, never on time.
#
# Needs the shipped model models/precog.model (skips with 77 without it);
# SK_DEMO_MODEL=path uses another model file instead (development).
set -u

BIN=${SK_BIN:-build/skelact}
SRC=$(cd "$(dirname "$0")/.." && pwd)
MODEL=${SK_DEMO_MODEL:-$SRC/models/precog.model}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0 passes=0

check() { # NAME CONDITION-EXIT-STATUS
    if [ "$2" -eq 0 ]; then passes=$((passes + 1)); else echo "FAIL: $1"; fails=$((fails + 1)); fi
}
check_eq() { # NAME GOT WANT
    if [ "$2" = "$3" ]; then passes=$((passes + 1)); else echo "FAIL: $1: got '$2', want '$3'"; fails=$((fails + 1)); fi
}
field() { # KEY FILE: the number after KEY= in FILE's summary
    grep -o "$1=[0-9]*" "$2" | head -1 | cut -d= -f2
}

# --- missing files: exit 2, one line naming the file, nothing on stdout ---
"$BIN" demo --fast --model "$TMP/no.model" >"$TMP/m.out" 2>"$TMP/m.err"
check_eq "missing model: exit status" $? 2
check_eq "missing model: stderr lines" "$(wc -l <"$TMP/m.err")" 1
grep -q "no.model" "$TMP/m.err"; check "missing model: the line names the file" $?
check_eq "missing model: stdout empty" "$(wc -c <"$TMP/m.out")" 0

"$BIN" demo --fast --data "$TMP/nodata" >/dev/null 2>"$TMP/d.err"
rc=$?
check_eq "missing takes: exit status" $rc 2
check_eq "missing takes: stderr lines" "$(wc -l <"$TMP/d.err")" 1

"$BIN" demo --bogus >/dev/null 2>"$TMP/b.err"
check_eq "unknown option: exit status" $? 2

if [ ! -r "$MODEL" ]; then
    echo "SKIP: $MODEL missing (the shipped model); missing-file checks: $passes passed, $fails failed"
    [ $fails -eq 0 ] || exit 1
    exit 77
fi

# --- the whole job, flat out ---
NO_COLOR= "$BIN" demo --fast --model "$MODEL" >"$TMP/out" 2>"$TMP/err"
check_eq "demo --fast: exit status" $? 0
cat "$TMP/out"
moves=$(grep -cE '^ +[0-9]+\.[0-9]+  Seq[0-9]+_[0-9]+\.csv +[0-9]+ +[0-9]+  ' "$TMP/out")
[ "$moves" -ge 1 ]; check "demo --fast: at least one recognized move line (got $moves)" $?
check_eq "demo --fast: one summary line" "$(grep -c '^summary: .*hits=[0-9]* misses=[0-9]* false_alarms=[0-9]*' "$TMP/out")" 1
hits=$(field hits "$TMP/out"); misses=$(field misses "$TMP/out"); fa=$(field false_alarms "$TMP/out")
true_moves=$(grep '^summary:' "$TMP/out" | grep -o '[0-9]* true moves' | cut -d' ' -f1)
check_eq "hits + misses = true moves" "$((hits + misses))" "$true_moves"
check_eq "hits + false alarms = move lines" "$((hits + fa))" "$moves"
# The bundled takes hold 15 moves (data/README.md) and 1026 frames.
check_eq "true moves of the bundled takes" "$true_moves" 15
check_eq "every frame received" "$(grep -o 'frames sent [0-9]*, received [0-9]*' "$TMP/out")" \
    "frames sent 1026, received 1026"
check_eq "no colour into a pipe" "$(grep -c $'\033' "$TMP/out")" 0
check_eq "nothing on stderr" "$(wc -c <"$TMP/err")" 0

# The demo scores exactly as `skelact eval` does on the same takes.
"$BIN" eval --model "$MODEL" --data "$SRC/data/precog" --format precog --subjects 7-9 \
    --json >"$TMP/eval.json" 2>/dev/null
check_eq "eval: exit status" $? 0
ehits=$(grep -o '"hits":[0-9]*' "$TMP/eval.json" | cut -d: -f2)
efa=$(grep -o '"false_alarms":[0-9]*' "$TMP/eval.json" | cut -d: -f2)
check_eq "demo hits = eval hits" "$hits" "$ehits"
check_eq "demo false alarms = eval false alarms" "$fa" "$efa"

# --- the eval pictures on the same takes ---
"$BIN" eval --model "$MODEL" --data "$SRC/data/precog" --format precog --subjects 7-9 \
    --confusion-svg "$TMP/c.svg" --timeline-svg "$TMP/t.svg" --take Seq3_8 >/dev/null 2>&1
check_eq "eval pictures: exit status" $? 0
check_eq "confusion: one closed svg" "$(grep -c '</svg>' "$TMP/c.svg")" 1
grep -q '>right punch</text>' "$TMP/c.svg"; check "confusion: label names" $?
check_eq "timeline: only the take asked for" "$(grep -o 'Seq[0-9]_[0-9].csv' "$TMP/t.svg" | sort -u)" "Seq3_8.csv"
"$BIN" eval --model "$MODEL" --data "$SRC/data/precog" --format precog --subjects 7-9 \
    --timeline-svg "$TMP/t2.svg" --take Seq9_9 >/dev/null 2>"$TMP/t2.err"
check_eq "timeline of an unknown take: exit status" $? 2
check_eq "timeline of an unknown take: one line" "$(wc -l <"$TMP/t2.err")" 1

# --- one take, sped up ---
"$BIN" demo --speed 50 --takes 1 --model "$MODEL" >"$TMP/one" 2>&1
check_eq "demo --takes 1: exit status" $? 0
grep -q '^summary: 1 take(s), 297 frames' "$TMP/one"; check "demo --takes 1: one take of 297 frames" $?

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
