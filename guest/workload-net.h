/* guest/workload-net.h: what hvc-workload's network workloads (net-server,
 * net-stream, net-rr, net-crr) share: the wire protocol between a client
 * and net-server, the content pattern of bulk data, full sends and
 * receives, latency percentiles and the description of the packet path
 * (which interface the route leaves by). IPv4 and TCP only; libc only, like
 * every workload (docs/workloads.md, "Network"). */
#ifndef HVC_GUEST_WORKLOAD_NET_H
#define HVC_GUEST_WORKLOAD_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload.h"

/* Every connection opens with a 32-byte header (little-endian): magic
 * "HVN1", mode, size, resp_size, session, seed. The session is the
 * client run's random id; net-server counts a run's net-crr transactions
 * under it and reports them when the run says goodbye (NET_BYE). */
#define NET_HDR_LEN 32
enum net_mode {
	NET_STREAM_UP = 1,   /* records client -> server, then the server's trailer */
	NET_STREAM_DOWN = 2, /* records server -> client until the client's stop byte */
	NET_RR = 3,	     /* size-byte requests, size-byte responses, until half-close */
	NET_CRR = 4,	     /* one request (size bytes after the header), one response, close */
	NET_BYE = 5,	     /* end of a client run: the trailer counts its net-crr transactions */
};
struct net_hdr {
	uint32_t mode, size, resp_size;
	uint64_t session, seed;
};
void net_hdr_encode(const struct net_hdr *h, unsigned char out[NET_HDR_LEN]);
int net_hdr_decode(const unsigned char in[NET_HDR_LEN], struct net_hdr *h); /* -1: bad magic */

/* The trailer the server sends when a connection's work is done: "HVNT",
 * 4 bytes zero, what it counted (stream bytes, transactions), and the
 * bytes that did not match the pattern. */
#define NET_TRAILER_LEN 24
struct net_trailer {
	uint64_t count, mismatched;
};
void net_trailer_encode(const struct net_trailer *t, unsigned char out[NET_TRAILER_LEN]);
int net_trailer_decode(const unsigned char in[NET_TRAILER_LEN], struct net_trailer *t);

/* Bulk data is a stream of records: a 4-byte little-endian length, then
 * that many pattern bytes; length 0 ends the stream. The byte at stream
 * offset o is buf[o % NET_PATTERN_PERIOD], a splitmix64 sequence of the
 * connection's seed. The period is prime, so a lost, repeated or
 * reordered piece lines up with the pattern only if its length is a
 * multiple of it (and then the two ends' byte counts disagree). */
#define NET_PATTERN_PERIOD 65521u
#define NET_MAX_SIZE (16u << 20)
struct net_pattern {
	unsigned char *buf; /* NET_PATTERN_PERIOD + max record bytes, so any record is contiguous */
};
int net_pattern_init(struct net_pattern *p, uint64_t seed, size_t max_len); /* -1: ENOMEM */
void net_pattern_free(struct net_pattern *p);
static inline const unsigned char *net_pattern_at(const struct net_pattern *p, uint64_t off)
{
	return p->buf + off % NET_PATTERN_PERIOD;
}

/* What one end of a stream counted. */
struct net_flow {
	uint64_t bytes, records, mismatched;
};
/* Sends records of size bytes until stop_at (CLOCK_MONOTONIC seconds) when
 * stop_at > 0, else until the peer sends a byte or half-closes; then the end
 * record. corrupt flips one byte of the first record (self-test). 0 or -errno. */
int net_stream_send(int fd, const struct net_pattern *p, uint32_t size, double stop_at,
		    bool corrupt, struct net_flow *f);
/* Receives records up to the end record into buf (size bytes), comparing each
 * with the pattern; from stop_at on (when > 0) sends the peer one stop byte.
 * corrupt damages the first record before the comparison. 0 or -errno. */
int net_stream_recv(int fd, const struct net_pattern *p, uint32_t size, unsigned char *buf,
		    double stop_at, bool corrupt, struct net_flow *f);

/* All of buf, retrying short transfers and EINTR; no SIGPIPE. 0 or -errno. */
int net_send_all(int fd, const void *buf, size_t len);
/* All len bytes: 1; 0 at a clean end of stream before the first byte;
 * -EPROTO when it ends inside; -errno. */
int net_recv_all(int fd, void *buf, size_t len);

/* "A.B.C.D:PORT" -> sa. Port 0 only when port0_ok. -1 on a malformed value. */
int net_parse_addr(const char *s, bool port0_ok, struct sockaddr_in *sa);
/* A client's --server, parsed; 0, or the usage error's exit status (2)
 * after its failure line. */
int net_client_addr(const struct wl_opts *o, struct sockaddr_in *sa);
/* A TCP connection to sa with TCP_NODELAY, its header sent. fd or -errno. */
int net_connect(const struct sockaddr_in *sa, const struct net_hdr *h);
/* The client run's session id: random from /dev/urandom, else time and pid. */
uint64_t net_session_id(void);
/* Ends a client run at the server (NET_BYE); *crr gets the server's count
 * of this session's net-crr transactions. 0 or -errno. */
int net_bye(const struct sockaddr_in *sa, uint64_t session, uint64_t *crr);

/* Latencies of a run in nanoseconds (uint32: up to 4.29 s each). */
struct net_lat {
	uint32_t *ns;
	size_t n, cap;
};
int net_lat_add(struct net_lat *l, double seconds); /* -1: ENOMEM */
int net_lat_append(struct net_lat *dst, const struct net_lat *src);
void net_lat_free(struct net_lat *l);
/* Sorts l, then "latency_min_us", "latency_mean_us", "latency_p50_us",
 * "latency_p90_us", "latency_p99_us", "latency_max_us" (nearest rank). */
void wl_result_net_latency(struct wl_result *r, struct net_lat *l);
/* Nearest-rank percentile q (0..100] of sorted ns, in microseconds. */
double net_lat_percentile_us(const uint32_t *sorted, size_t n, double q);

/* Where a connection's packets go: both addresses, and the interface the
 * route leaves by (the loopback interface when the peer address is one of
 * this network namespace's own, else the interface holding the local
 * address), with its driver as ethtool reports it. */
struct net_path {
	char peer[32], local[32];
	char ifname[16], driver[32]; /* ifname: IF_NAMESIZE */
	char kind[32]; /* "loopback", "veth", "virtio-net", another driver, or "unknown" */
};
void net_path_probe(int fd, struct net_path *p);
/* "server", "peer_address", "local_address", "interface", "interface_driver", "path". */
void wl_result_net_path(struct wl_result *r, const char *server, const struct net_path *p);

#endif
