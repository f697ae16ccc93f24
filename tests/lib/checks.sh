# Sourced by the test scripts whose last line is "SUITE: N passed, N failed",
# which scripts/test counts: set suite=SUITE first. A check states what
# must hold (`check NAME COMMAND...`, or `ok NAME` / `fail NAME WHY`);
# `finish` prints the count and fails when a check did.
passed=0 failed=0
ok() { echo "$suite: ok $1"; passed=$((passed + 1)); }
fail() { echo "$suite: FAIL $1: $2"; failed=$((failed + 1)); }
check() { # NAME COMMAND... : ok when the command succeeds; fails with it
        local name=$1
        shift
        if "$@"; then ok "$name"; else fail "$name" "$*"; return 1; fi
}
finish() {
        echo "$suite: $passed passed, $failed failed"
        [ "$failed" -eq 0 ]
}
