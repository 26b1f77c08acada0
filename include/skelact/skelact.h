/* skelact: real-time action recognition from 3D skeleton streams.
 * The umbrella header: include this one. */
#ifndef SKELACT_SKELACT_H
#define SKELACT_SKELACT_H

#include "skelact/frame.h"
#include "skelact/codec.h"
#include "skelact/net.h"
#include "skelact/data.h"
#include "skelact/nn.h"
#include "skelact/recognizer.h"
#include "skelact/sinks.h"
#include "skelact/viewer.h"
#include "skelact/report.h"

#endif
