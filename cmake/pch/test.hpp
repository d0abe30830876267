// Precompiled header of the Catch2 test programs (cmake/build_speed.cmake): common.hpp and
// Catch2's single header, which every test file includes.
#pragma once

#include "common.hpp"

#include <catch2/catch.hpp>
