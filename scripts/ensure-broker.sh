#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1:5672 (guest/guest): install it with
# apt-get when it is missing, start it when it is down, and wait until it accepts AMQP.
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if port_open; then
  echo "ensure-broker: RabbitMQ is listening on 127.0.0.1:5672"
  exit 0
fi

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "ensure-broker: installing rabbitmq-server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q rabbitmq-server
fi

echo "ensure-broker: starting rabbitmq-server"
rabbitmq-server -detached || true
for _ in $(seq 1 120); do
  if port_open && rabbitmqctl -q status >/dev/null 2>&1; then
    echo "ensure-broker: RabbitMQ is up"
    exit 0
  fi
  sleep 1
done
echo "ensure-broker: RabbitMQ did not come up on 127.0.0.1:5672 within 120 s" >&2
exit 1
