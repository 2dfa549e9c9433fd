# No shebang: runs in the host's default shell, inside the persistent session.
# Run it twice: the count carries over from one run to the next.
count=$(( ${count:-0} + 1 ))
echo "run number $count in session $$ (cwd $(pwd))"
