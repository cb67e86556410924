#!/bin/sh
# cowrie-batch e2e upload: pushed to the honeypot with legacy scp (-O).
echo "cowrie-batch e2e scp upload"
