/*
 * The direct-QEMU backend: members are local processes, optionally in a
 * network namespace. The monitor socket is bound and listened on by us and
 * handed to QEMU as an inherited fd, so there is no race between QEMU
 * creating the socket and us connecting to it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "cc-backend.h"

G_BEGIN_DECLS

#define CC_TYPE_BACKEND_QEMU (cc_backend_qemu_get_type())
G_DECLARE_FINAL_TYPE(CcBackendQemu, cc_backend_qemu, CC, BACKEND_QEMU, CcBackend)

const CcPluginInfo *cc_plugin_qemu_info(void);

G_END_DECLS
