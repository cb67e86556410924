#!/bin/sh
# cowrie-batch e2e payload: a harmless stand-in for a coin-miner installer.
echo "cowrie-batch e2e miner installer"
echo "pool=127.0.0.1:3333 wallet=TEST"
