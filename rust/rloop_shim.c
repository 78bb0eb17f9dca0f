// SPDX-License-Identifier: GPL-2.0
/*
 * rloop C shim: only what Rust cannot reach through 6.12's bindings
 * (static inlines, C-only structures, uAPI layouts).  Keep it small.
 */
#include <linux/loop.h>
#include <linux/module.h>

/*
 * uAPI layouts as the C compiler sees them; rust/kernel_ext/loop_uapi.rs
 * checks its #[repr(C)] copies against these at module init.
 */
const size_t rloop_uapi_sizes[3] = {
	sizeof(struct loop_info),
	sizeof(struct loop_info64),
	sizeof(struct loop_config),
};
