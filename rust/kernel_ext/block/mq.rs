// SPDX-License-Identifier: GPL-2.0

//! blk-mq: tag sets, disks, requests and driver operations.
//!
//! C header: [`include/linux/blk-mq.h`](srctree/include/linux/blk-mq.h)
//!
//! Our own version of `kernel::block::mq`, which in 6.12 cannot express a
//! loop driver (no queue data, no tag-set flags, no `open`/`release`/`ioctl`,
//! no module owner; see ANCHORS.md).  Names and shapes follow upstream
//! (≈6.18 and the rnull series): [`TagSet`], [`GenDisk`] /
//! [`GenDiskBuilder`], [`Request`], and the [`Operations`] trait with
//! `type QueueData: ForeignOwnable`, plus optional `open`, `release`,
//! `ioctl` and `compat_ioctl` hooks selected by `#[vtable]` `HAS_*`
//! constants.

mod aio;
mod drain;
mod gen_disk;
mod job;
pub(crate) mod operations;
mod request;
mod tag_set;

pub(crate) use aio::RwMode;
pub(crate) use drain::RequestDrain;
pub(in crate::kernel_ext::block) use gen_disk::{free_disk_callback, OwnedDisk};
pub(crate) use gen_disk::{DiskRef, GenDisk, GenDiskBuilder, Limits};
pub(crate) use job::Job;
pub(crate) use operations::{queue_data_of_file, Dispatch, Operations, QueueDataBorrowed};
pub(in crate::kernel_ext::block) use request::blk_status;
pub(crate) use request::{Op, OwnedRequest, Request};
pub(crate) use tag_set::{flags, TagSet};
