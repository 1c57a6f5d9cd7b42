// Mirrors the callback API of asyncio's event loop from the asyncio notes:
//
//     loop.call_soon(callback, *args)
//     loop.call_soon_threadsafe(callback, *args)   # from another thread
//     loop.call_later(delay, callback, *args)
//     loop.call_at(when, callback, *args)
//     loop.run_forever()                           # until a callback calls stop()
//
// Callbacks given to call_soon run in FIFO order; call_later and call_at run
// at their time on the loop's clock (loop.time()); handle.cancel() prevents a
// call that has not run yet.
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <memory>
#include <string>
#include <thread>

void say(const std::string& what) {
    example::println(what);
}

int main() {
    std::unique_ptr<weft::event_loop> loop = weft::new_event_loop();
    weft::event_loop* l = loop.get();

    l->call_soon(say, "call_soon 1");
    l->call_soon(say, "call_soon 2");
    l->call_later(example::unit(), say, "call_later 1 unit");
    l->call_at(l->time() + 2 * example::unit(), [l] {
        say("call_at 2 units, stopping the loop");
        l->stop();
    });

    weft::timer_handle never = l->call_later(example::units(1.5), say, "never printed");
    never.cancel();

    // Another thread posts a callback; it runs after the ones already queued.
    std::thread other([l] { l->call_soon_threadsafe(say, "call_soon_threadsafe from another thread"); });
    other.join();

    l->run_forever();
    example::println("run_forever() returned");
    l->close();
}
