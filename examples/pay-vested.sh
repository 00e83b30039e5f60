#!/usr/bin/env bash
# The Vested payments walk-through used in the README: 6 people, 7 days at £350, one half day,
# one decline, one lower amount, one travel expense. Prints each `panel pay` command and its output.
# Usage: examples/pay-vested.sh [PANEL]   (run from the repository root; uses a fresh temporary store)
set -euo pipefail
P="${1:-.venv/bin/panel}"
export PANEL_DB="$(mktemp -d)/panel.db" PANEL_DATABASE_URL=""
DAYS="2026-03-02 2026-03-03 2026-03-04 2026-03-05 2026-03-06 2026-03-09 2026-03-10"
SESSIONS=""; for d in $DAYS; do SESSIONS="$SESSIONS --session $d"; done
$P engagement open "Vested" --ref vested --type involve --purpose "Youth employment services" \
  --day-rate 350.00 $SESSIONS --at 2026-02-01 >/dev/null
for i in 1 2 3 4 5 6; do
  $P participant register --ref VES-00$i --channel online --consent contact --notice-version v3 --at 2026-02-01 >/dev/null
done
$P invite vested VES-001 VES-002 VES-003 VES-004 VES-005 VES-006 --at 2026-02-10 >/dev/null
for i in 1 2 3 4 5 6; do
  $P accept vested VES-00$i --at 2026-02-11 >/dev/null
  for d in $DAYS; do
    half=""; if [ "$i" = 1 ] && [ "$d" = 2026-03-05 ]; then half=--half-day; fi
    $P attend vested VES-00$i --date "$d" $half --at "${d}T17:00Z" >/dev/null
  done
done

show() {
  local line="$ panel" arg
  for arg in "$@"; do case "$arg" in *" "*) line="$line \"$arg\"";; *) line="$line $arg";; esac; done
  echo "$line"; $P "$@" 2>&1 || true; echo
}
show pay rate-card set involve-day --unit day --amount 350.00 --by finance.lee --at 2026-02-01
show pay rate-card assign involve-day --engagement vested --by finance.lee --at 2026-02-01
show pay budget set vested --code CE-2026-VES --amount 10000.00 --by finance.lee --at 2026-02-01
show pay accrue vested --by coordinator.sam --at 2026-03-11
show pay accrue vested --by coordinator.sam --at 2026-03-11
show pay decline VES-002 --engagement vested --reason "protecting my benefits" --by coordinator.sam --at 2026-03-11
show pay reduce VES-003 --engagement vested --amount 1000.00 --reason "stay under my limit" --by coordinator.sam --at 2026-03-11
show pay claim-expense VES-004 --engagement vested --category travel --amount 12.40 --receipt TR-0042 --spent-on 2026-03-02 --by coordinator.sam --at 2026-03-11
show pay approve --engagement vested --by coordinator.sam --at 2026-03-12
show pay approve --engagement vested --by finance.lee --at 2026-03-12
show pay budget set vested --code CE-2026-VES --amount 15000.00 --by finance.lee --at 2026-03-12
show pay approve --engagement vested --by finance.lee --at 2026-03-12
show pay approve --engagement vested --by finance.ana --at 2026-03-13
show pay issue --engagement vested --route bank_transfer --by finance.ana --at 2026-03-20
show pay issue --engagement vested --route bank_transfer --batch-ref BACS-0320 --by finance.kim --at 2026-03-20
show pay ledger --participant VES-003
show pay reconcile examples/statement.csv --account "community fund 12345678"
show pay reconcile examples/statement.csv --account "community fund 12345678"
show pay export --by engagement
show pay export --by route
show pay totals --participant VES-001
show pay outstanding --as-of 2026-03-23
