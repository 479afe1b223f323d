#!/bin/sh
# Copies what backs a bench's numbers from its output folder into results/<name>/:
# results.json and results.md, and per run its results.json and assignments*.csv gzipped
# (scripts/check-results.ts then recomputes every metric from them). A run that chose among
# candidate seeds keeps each candidate's results.json too, from which the choice is checked.
#   scripts/keep-results.sh runs/default results/default
set -eu
out=$1
dest=$2
mkdir -p "$dest"
cp "$out/results.json" "$out/results.md" "$dest/"
for run in "$out"/*/; do
  name=$(basename "$run")
  [ -f "$run/results.json" ] || continue
  mkdir -p "$dest/$name"
  cp "$run/results.json" "$dest/$name/"
  for csv in "$run"/assignments*.csv; do
    [ -f "$csv" ] && gzip -9 -n -c "$csv" > "$dest/$name/$(basename "$csv").gz"
  done
  for cand in "$run"/candidates/*/; do
    [ -f "$cand/results.json" ] || continue
    mkdir -p "$dest/$name/candidates/$(basename "$cand")"
    cp "$cand/results.json" "$dest/$name/candidates/$(basename "$cand")/"
  done
done
