/* Placeholder: the plugin ABI is defined by the plugin work. */
#ifndef CRYPTIC_PLUGIN_H
#define CRYPTIC_PLUGIN_H
#include <stddef.h>
#include <stdint.h>
#endif
