#!/bin/sh
# cowrie-batch e2e payload: a harmless stand-in for a bot's dropper script.
# It is served from 127.0.0.1 only and never runs anywhere real.
echo "cowrie-batch e2e dropper"
cd /tmp || cd /var/run || cd /dev/shm
echo "would fetch x86_64, arm7, mips here"
