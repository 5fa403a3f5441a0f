// Linux interfaces that Swift's Glibc module does not export: epoll and
// eventfd for the HTTP event loop. Headers only; they live in libc.
#pragma once
#include <sys/epoll.h>
#include <sys/eventfd.h>
