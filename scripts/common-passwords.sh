#!/usr/bin/env bash
# Makes data/common-passwords.txt, the list of common passwords that new passwords are
# checked against (validate::new_password): the 10,000 most common passwords of the
# `passwords` frequency list in the npm package zxcvbn 4.4.2 (MIT, Dropbox; ranked from
# leaked password sets), lower case, those of 6 characters or more (shorter ones are
# refused by the length rule anyway, and are too short to count as a base word).
# Run from the repository root; needs npm and node. The output is committed.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent zxcvbn@4.4.2 >/dev/null && tar xzf zxcvbn-4.4.2.tgz)
node -e '
const f = require(process.argv[1]);
const words = f.passwords.slice(0, 10000)
  .map((w) => w.toLowerCase()).filter((w) => [...w].length >= 6);
process.stdout.write([...new Set(words)].join("\n") + "\n");
' "$tmp/package/lib/frequency_lists.js" >data/common-passwords.txt
wc -l data/common-passwords.txt
