"""The WebSocket Lambda: the API Gateway WebSocket API's $connect, $disconnect, $default."""
