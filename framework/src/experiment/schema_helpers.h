// The catalog's ParamSpec constructors now live in the public SDK header rnnlab/schema.h
// (integer(), real(), flag(), choice(), text(): positional forms and named builders).
#pragma once

#include "rnnlab/schema.h"
