"""This process's SQLite writers' lock, as the event loop waits for it: woken when a thread lets go, never blocked."""

from __future__ import annotations

import asyncio
import threading

from storage.writers import Writers


async def test_the_loop_waits_for_a_thread_to_let_go_without_blocking():
    writers = Writers()
    taken, let_go = threading.Event(), threading.Event()

    def writer() -> None:
        writers.acquire()
        taken.set()
        let_go.wait(5)
        writers.release()

    thread = threading.Thread(target=writer)
    thread.start()
    assert await asyncio.to_thread(taken.wait, 5)
    assert writers.acquire(blocking=False) is False
    waiting = asyncio.create_task(writers.until_free())
    ticks = 0
    while ticks < 20:  # the loop goes on while it waits
        await asyncio.sleep(0)
        ticks += 1
    assert not waiting.done()
    let_go.set()
    await asyncio.wait_for(waiting, 5)
    assert writers.acquire(blocking=False) is True
    writers.release()
    thread.join(5)


async def test_a_free_lock_is_not_waited_for():
    writers = Writers()
    await asyncio.wait_for(writers.until_free(), 1)
    assert writers.acquire(blocking=False)
    writers.release()


async def test_a_cancelled_wait_is_let_go_quietly():
    writers = Writers()
    writers.acquire()
    waiting = asyncio.create_task(writers.until_free())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    writers.release()  # wakes nobody: its waiter's request was cancelled
    await asyncio.sleep(0)
    assert waiting.cancelled()
    assert writers.acquire(blocking=False)
    writers.release()


def test_a_release_after_the_waiting_loop_closed_is_quiet():
    """Shutdown: a writer thread that finishes after the event loop closed lets go without an error."""
    writers = Writers()
    writers.acquire()
    loop = asyncio.new_event_loop()
    waiting = loop.create_task(writers.until_free())
    loop.run_until_complete(asyncio.sleep(0))  # the waiter is registered
    waiting.cancel()
    loop.run_until_complete(asyncio.gather(waiting, return_exceptions=True))
    loop.close()
    done = threading.Thread(target=writers.release)
    done.start()
    done.join(5)
    assert writers.acquire(blocking=False)
