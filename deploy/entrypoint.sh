#!/bin/sh
# Migrations first (replicas starting together take turns on PostgreSQL's advisory
# lock), then the command, e.g. `run --webhook` or any other `interview-bot` command.
set -e
if [ "$1" = "run" ]; then
    interview-bot db upgrade
fi
exec interview-bot "$@"
