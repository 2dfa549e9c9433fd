/*
 * delayd: holds every packet handed to it by an NFQUEUE rule for a fixed time, then lets it go
 * (NF_ACCEPT), in order. The WAN bench queues the namespace's lo at PREROUTING, which every
 * packet crosses once, so the round trip gains 2 x the delay. Compiled by the bench with gcc
 * (never committed as a binary).
 *
 *   delayd QUEUE_NUM ONE_WAY_DELAY_US MAX_SECONDS
 *
 * It ends by itself after MAX_SECONDS, or when its parent dies (PR_SET_PDEATHSIG), so a killed
 * bench never leaves it behind. Without --queue-bypass on the rule, a dead delayd stops all
 * traffic in the namespace: visible, never a silent fallback to no delay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnfnetlink/libnfnetlink.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define RING (1u << 18)

struct held { uint32_t id; uint64_t due_us; };
static struct held ring[RING];
static unsigned head, tail; /* tail: next to release; head: next free */
static uint64_t delay_us;
static uint64_t dropped;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg; (void)data; (void)dropped;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (head - tail >= RING) { /* full: let it through late rather than never */
    dropped++;
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  ring[head % RING].id = id;
  ring[head % RING].due_us = now_us() + delay_us;
  head++;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: delayd QUEUE_NUM ONE_WAY_DELAY_US MAX_SECONDS\n");
    return 2;
  }
  int queue = atoi(argv[1]);
  delay_us = strtoull(argv[2], NULL, 10);
  uint64_t deadline = now_us() + strtoull(argv[3], NULL, 10) * 1000000u;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 0;

  struct nfq_handle *h = nfq_open();
  if (!h) { perror("nfq_open"); return 1; }
  struct nfq_q_handle *qh = nfq_create_queue(h, queue, &on_packet, NULL);
  if (!qh) { perror("nfq_create_queue"); return 1; }
  if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
  nfq_set_queue_maxlen(qh, RING / 2);
  int fd = nfq_fd(h);
  /* Bursts of a hundred connections at once must not overflow the socket's buffer. */
  nfnl_rcvbufsiz(nfq_nfnlh(h), 64u << 20);
  printf("ready\n");
  fflush(stdout);

  char buf[65536] __attribute__((aligned));
  for (;;) {
    uint64_t t = now_us();
    if (t >= deadline) break;
    while (tail != head && ring[tail % RING].due_us <= t) {
      nfq_set_verdict(qh, ring[tail % RING].id, NF_ACCEPT, 0, NULL);
      tail++;
    }
    int wait_ms = 1000;
    if (tail != head) {
      uint64_t due = ring[tail % RING].due_us;
      wait_ms = due > t ? (int)((due - t + 999) / 1000) : 0;
    }
    /* poll has millisecond resolution: sleep the sub-millisecond rest precisely. */
    if (tail != head && wait_ms <= 1) {
      uint64_t due = ring[tail % RING].due_us;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll(&p, 1, 0) <= 0 && due > t) {
        struct timespec ts = { 0, (long)(due - t) * 1000 };
        nanosleep(&ts, NULL);
        continue;
      }
    } else {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      if (poll(&p, 1, wait_ms) <= 0) continue;
    }
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == ENOBUFS) { fprintf(stderr, "delayd: queue socket overflowed\n"); continue; }
        break;
      }
      nfq_handle_packet(h, buf, (int)n);
    }
  }
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
