/* Socket helpers shared by the receiver and the sender (internal). */
#ifndef SKELACT_NET_SOCK_H
#define SKELACT_NET_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/seterr.h" /* sk__seterr */

/* A resolved address. */
typedef struct sk__addr {
    struct sockaddr_storage ss;
    socklen_t len;
} sk__addr;

/* Resolve host:port (numeric or by name) for socktype SOCK_STREAM or
 * SOCK_DGRAM. host NULL = "127.0.0.1". Returns 0 or SK_EADDR (err filled). */
int sk__addr_resolve(sk__addr *a, const char *host, int port, int socktype,
                     char *err, size_t errlen);

/* The port of an address, or 0. */
int sk__addr_port(const sk__addr *a);

/* Same host (family and address; the port is ignored). */
int sk__addr_same_host(const sk__addr *a, const sk__addr *b);
/* Same host and port. */
int sk__addr_same(const sk__addr *a, const sk__addr *b);

/* Make fd non-blocking and close-on-exec; on platforms without MSG_NOSIGNAL
 * also set SO_NOSIGPIPE. Returns 0 or -1 (errno set). */
int sk__fd_setup(int fd);

/* A new non-blocking socket bound to a (SO_REUSEADDR), listening if
 * SOCK_STREAM. Returns the fd, or a negative SK_E* code with err filled. */
int sk__sock_bind(const sk__addr *a, int socktype, char *err, size_t errlen);

/* Start a non-blocking connect to a. *fd receives the socket. Returns 0 when
 * connected at once, 1 when in progress, or -errno on failure (*fd is then
 * closed and set to -1). */
int sk__sock_connect(const sk__addr *a, int socktype, int *fd);

/* After POLLOUT on a connecting socket: 0 if connected, else the errno. */
int sk__sock_connect_error(int fd);

/* The local port of a bound socket, or 0. */
int sk__sock_local_port(int fd);

/* send() that never raises SIGPIPE and never blocks. */
ssize_t sk__sock_send(int fd, const void *buf, size_t len);

/* Milliseconds to wait until deadline_us (rounded up, >= 0); deadline < 0
 * means forever (-1). */
int sk__wait_ms(int64_t now_us, int64_t deadline_us);


#endif
