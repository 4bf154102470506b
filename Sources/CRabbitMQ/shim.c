#include "CRabbitMQ.h"

amqp_rpc_reply_t CRabbitMQ_loginPlain(
    amqp_connection_state_t state, char const *vhost, int channel_max, int frame_max, int heartbeat,
    char const *user, char const *password) {
    return amqp_login(state, vhost, channel_max, frame_max, heartbeat, AMQP_SASL_METHOD_PLAIN, user, password);
}
