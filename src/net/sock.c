/* Socket helpers shared by the receiver and the sender. */
#include "net/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "skelact/frame.h"

int sk__addr_resolve(sk__addr *a, const char *host, int port, int socktype,
                     char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    if (!host || !*host)
        host = "127.0.0.1";
    if (port < 0 || port > 65535) {
        sk__seterr(err, errlen, "bad port %d", port);
        return SK_EADDR;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = socktype;
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || !res) {
        sk__seterr(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        if (res)
            freeaddrinfo(res);
        return SK_EADDR;
    }
    memset(a, 0, sizeof *a);
    memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
    a->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int sk__addr_port(const sk__addr *a)
{
    if (a->ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
    if (a->ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
    return 0;
}

int sk__addr_same_host(const sk__addr *a, const sk__addr *b)
{
    if (a->ss.ss_family != b->ss.ss_family)
        return 0;
    if (a->ss.ss_family == AF_INET)
        return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)&b->ss)->sin_addr.s_addr;
    if (a->ss.ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
                      &((const struct sockaddr_in6 *)&b->ss)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return 0;
}

int sk__addr_same(const sk__addr *a, const sk__addr *b)
{
    return sk__addr_same_host(a, b) && sk__addr_port(a) == sk__addr_port(b);
}

int sk__fd_setup(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    int fdfl = fcntl(fd, F_GETFD, 0);
    if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
        return -1;
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return 0;
}

static const char *sk__hoststr(const sk__addr *a, char *buf, size_t len)
{
    if (getnameinfo((const struct sockaddr *)&a->ss, a->len, buf, (socklen_t)len,
                    NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(buf, len, "?");
    return buf;
}

int sk__sock_bind(const sk__addr *a, int socktype, char *err, size_t errlen)
{
    char host[64];
    int one = 1;
    int fd = socket(a->ss.ss_family, socktype, 0);
    if (fd < 0) {
        sk__seterr(err, errlen, "socket: %s", strerror(errno));
        return SK_EIO;
    }
    if (sk__fd_setup(fd) < 0)
        goto fail;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
        goto fail;
    if (socktype == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)
        goto fail;
    return fd;
fail:
    sk__seterr(err, errlen, "cannot %s %s port %d: %s",
               socktype == SOCK_STREAM ? "listen on" : "bind", sk__hoststr(a, host, sizeof host),
               sk__addr_port(a), strerror(errno));
    close(fd);
    return SK_EIO;
}

int sk__sock_connect(const sk__addr *a, int socktype, int *fdp)
{
    int e;
    int fd = socket(a->ss.ss_family, socktype, 0);
    *fdp = -1;
    if (fd < 0)
        return -errno;
    if (sk__fd_setup(fd) < 0)
        goto fail;
    for (;;) {
        if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0) {
            *fdp = fd;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EINPROGRESS) {
            *fdp = fd;
            return 1;
        }
        goto fail;
    }
fail:
    e = errno;
    close(fd);
    return -e;
}

int sk__sock_connect_error(int fd)
{
    int e = 0;
    socklen_t len = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        return errno;
    return e;
}

int sk__sock_local_port(int fd)
{
    sk__addr a;
    a.len = sizeof a.ss;
    if (getsockname(fd, (struct sockaddr *)&a.ss, &a.len) < 0)
        return 0;
    return sk__addr_port(&a);
}

ssize_t sk__sock_send(int fd, const void *buf, size_t len)
{
#ifdef MSG_NOSIGNAL
    return send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
#else
    return send(fd, buf, len, MSG_DONTWAIT);
#endif
}

int sk__wait_ms(int64_t now_us, int64_t deadline_us)
{
    if (deadline_us < 0)
        return -1;
    if (deadline_us <= now_us)
        return 0;
    int64_t ms = (deadline_us - now_us + 999) / 1000;
    return ms > 1000000 ? 1000000 : (int)ms;
}
