// Everything in the public C++ API.
#pragma once
#include "infonative/counter_normal.hpp"
#include "infonative/distribution.hpp"
#include "infonative/isa.hpp"
#include "infonative/knn.hpp"
#include "infonative/legacy_normal.hpp"
#include "infonative/logits.hpp"
#include "infonative/logsumexp.hpp"
#include "infonative/matrix.hpp"
#include "infonative/stream_read.hpp"
#include "infonative/threads.hpp"
