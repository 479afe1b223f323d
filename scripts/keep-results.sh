#!/bin/sh
# Copies what backs a bench's numbers from its output folder into results/<name>/:
# results.json and results.md, and per run its results.json and assignments*.csv gzipped
# (scripts/check-results.ts then recomputes every metric from them).
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
done
