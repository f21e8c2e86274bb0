#pragma once
// Paths that a signal handler may have to remove (temporaries being written, folders a run
// created): a fixed table, with no allocation and no locks, so that the SIGINT handler can
// walk it safely. Slots are claimed with a compare-exchange; state 0 free, 1 being filled
// in, 2 holds a path.
#include <atomic>
#include <cstddef>
#include <cstring>
#include <string>

namespace bertscope {

template <int Slots>
class PendingPaths {
 public:
  // The slot holding `path`, or -1 when the path is too long or every slot is taken: the
  // path is then untracked, and only a signal at the wrong moment could leave it behind.
  int track(const std::string& path) {
    if (path.size() >= kMaxPath) return -1;
    for (int i = 0; i < Slots; ++i) {
      int expected = 0;
      if (slots_[i].state.compare_exchange_strong(expected, 1)) {
        std::memcpy(slots_[i].path, path.c_str(), path.size() + 1);
        slots_[i].state.store(2, std::memory_order_release);
        return i;
      }
    }
    return -1;
  }

  void untrack(int slot) {
    if (slot >= 0) slots_[slot].state.store(0, std::memory_order_release);
  }

  // Async-signal-safe as long as `remove` is (unlink, rmdir). Newest slot first: nested
  // folders are tracked outermost first, so they are removed innermost first.
  template <typename Remove>
  void remove_all(Remove remove) {
    for (int i = Slots - 1; i >= 0; --i)
      if (slots_[i].state.load(std::memory_order_acquire) == 2) remove(slots_[i].path);
  }

 private:
  static constexpr size_t kMaxPath = 4096;
  struct Slot {
    std::atomic<int> state{0};
    char path[kMaxPath];
  };
  Slot slots_[Slots];
};

}  // namespace bertscope
