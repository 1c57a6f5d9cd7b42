// weft: asyncio for C++20.
//
// The one header users need: it gathers every component, the way Python's
// asyncio/__init__.py gathers its modules. Everything lives in namespace
// weft and links as the CMake target weft::weft.
#pragma once

#include <weft/scheduler.hpp>
#include <weft/sync.hpp>
#include <weft/io.hpp>
#include <weft/executors.hpp>
