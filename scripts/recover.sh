#!/usr/bin/env bash
# After a `pulumi up` that was killed (SIGKILL, a lost machine): make the stack usable again, then converge.
#   . scripts/env.sh && bash scripts/recover.sh STACK      (with the stack's passphrase in the environment)
# 1. A kill while the local file backend writes a checkpoint's attributes leaves them empty, and every command
#    then fails with "failed to load checkpoint: EOF": an empty .attrs file beside a stack's checkpoint is removed
#    (the checkpoint itself is written to a temporary file and renamed, so it is whole).
# 2. The lock the killed run held: `pulumi cancel`.
# 3. `pulumi up --refresh`: every step checks host state first, so running again is safe, and the refresh reads
#    back what the killed run had already written.
set -euo pipefail
stack=${1:?usage: recover.sh STACK}
backend=${PULUMI_BACKEND_URL#file://}
backend=${backend%%\?*}   # without the URL's options (scripts/env.sh)
start=$SECONDS
for f in "$backend"/.pulumi/stacks/*/"$stack".json.attrs; do
  if [ -f "$f" ] && [ ! -s "$f" ]; then
    rm -f "$f"
    echo "recover: removed the empty $f (left by the killed run)"
  fi
done
pulumi cancel --stack "$stack" --yes 2>&1 | sed 's/^/recover: /' || true
pulumi up --stack "$stack" --yes --skip-preview --refresh
echo "recover: $stack converged in $((SECONDS - start)) s"
