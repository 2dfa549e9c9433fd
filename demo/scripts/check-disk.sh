#!/bin/sh
# Usage: check-disk.sh MOUNT LIMIT_PERCENT — warns when MOUNT is fuller than LIMIT_PERCENT.
mount=${1:-/}
limit=${2:-90}
used=$(df -P "$mount" | awk 'NR==2 { sub("%", "", $5); print $5 }')
echo "$(uname -n): $mount is ${used}% full (limit ${limit}%)"
if [ "$used" -gt "$limit" ]; then
  echo "over the limit" >&2
  exit 1
fi
