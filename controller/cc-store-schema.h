/*
 * cc-store-schema: the .sql files of schema/store/, in file name order,
 * compiled in by the build (migration N is cc_store_migrations[N - 1]).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* NULL-terminated */
extern const gchar *const cc_store_migrations[];

G_END_DECLS
