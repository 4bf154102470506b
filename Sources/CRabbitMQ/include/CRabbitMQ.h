#ifndef CRABBITMQ_H
#define CRABBITMQ_H

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

/// amqp_login is variadic (its SASL arguments); Swift cannot call variadic C functions, so this
/// shim logs in with the PLAIN mechanism. Returns the broker's RPC reply.
amqp_rpc_reply_t CRabbitMQ_loginPlain(
    amqp_connection_state_t state, char const *vhost, int channel_max, int frame_max, int heartbeat,
    char const *user, char const *password);

#endif
