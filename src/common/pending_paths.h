#pragma once
// Paths that a signal handler may have to remove (temporaries being written, staging
// folders of runs in progress): a list the handler can walk without allocating or
// locking. It has no fixed size: a node is allocated (outside the handler) when no free
// one is large enough, and nodes are reused, never freed, so a walk in a handler never
// meets freed memory. A node's state is 0 free, 1 being filled in, 2 holding a path.
#include <atomic>
#include <cstddef>
#include <cstring>
#include <string>

namespace bertscope {

class PendingPaths {
 public:
  struct Node {
    std::atomic<int> state{0};
    char* path = nullptr;
    size_t capacity = 0;
    Node* next = nullptr;  // set once, before the node is published
  };

  // The node now holding `path`; pass it to untrack() when the path no longer needs removing.
  Node* track(const std::string& path) {
    for (Node* n = head_.load(std::memory_order_acquire); n; n = n->next) {
      int expected = 0;
      if (n->capacity > path.size() && n->state.compare_exchange_strong(expected, 1)) {
        fill(n, path);
        return n;
      }
    }
    Node* n = new Node;
    n->state.store(1, std::memory_order_relaxed);
    n->capacity = path.size() + 1;
    n->path = new char[n->capacity];
    fill(n, path);
    n->next = head_.load(std::memory_order_relaxed);
    while (!head_.compare_exchange_weak(n->next, n, std::memory_order_release)) {
    }
    return n;
  }

  static void untrack(Node* node) {
    if (node) node->state.store(0, std::memory_order_release);
  }

  // Async-signal-safe as long as `remove` is (unlink, rmdir, a walk with openat/unlinkat).
  template <typename Remove>
  void remove_all(Remove remove) {
    for (Node* n = head_.load(std::memory_order_acquire); n; n = n->next)
      if (n->state.load(std::memory_order_acquire) == 2) remove(n->path);
  }

 private:
  static void fill(Node* n, const std::string& path) {
    std::memcpy(n->path, path.c_str(), path.size() + 1);
    n->state.store(2, std::memory_order_release);
  }
  std::atomic<Node*> head_{nullptr};
};

}  // namespace bertscope
