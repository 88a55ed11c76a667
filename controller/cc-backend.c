/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "CcBackend"

#include "config.h"

#include <string.h>

#include "cc-backend.h"
#include "colo-error.h"

typedef struct {
	gchar *name;
} CcBackendPrivate;

enum { PROP_0, PROP_NAME, PROP_LAST };

G_DEFINE_TYPE_WITH_PRIVATE(CcBackend, cc_backend, G_TYPE_OBJECT)
#define GET_PRIVATE(o) (cc_backend_get_instance_private(o))

CcProcess *
cc_backend_launch(CcBackend *self, const CcLaunchSpec *spec, GError **error)
{
	CcBackendClass *klass = CC_BACKEND_GET_CLASS(self);
	if (klass->launch == NULL) {
		g_set_error(error, COLO_ERROR, COLO_ERROR_UNSUPPORTED,
			    "backend %s cannot launch members", cc_backend_get_name(self));
		return NULL;
	}
	return klass->launch(self, spec, error);
}

CcProcess *
cc_backend_attach(CcBackend *self, GPid pid, guint64 start_time, GError **error)
{
	CcBackendClass *klass = CC_BACKEND_GET_CLASS(self);
	if (klass->attach == NULL)
		return cc_process_new_attach(pid, start_time, error);
	return klass->attach(self, pid, start_time, error);
}

gchar *
cc_backend_tap_name(const gchar *member_name)
{
	g_autofree gchar *sum = NULL;

	g_return_val_if_fail(member_name != NULL, NULL);
	sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, member_name, -1);
	return g_strdup_printf("cc-%.12s", sum);
}

gboolean
cc_backend_ifname_valid(const gchar *name)
{
	gsize len;

	if (name == NULL)
		return FALSE;
	len = strlen(name);
	if (len == 0 || len > 15 || g_str_equal(name, ".") || g_str_equal(name, ".."))
		return FALSE;
	for (const gchar *p = name; *p != '\0'; p++) {
		if (*p == '/' || *p == ':' || g_ascii_isspace(*p) || !g_ascii_isprint(*p))
			return FALSE;
	}
	return TRUE;
}

const gchar *
cc_backend_get_name(CcBackend *self)
{
	CcBackendPrivate *priv = GET_PRIVATE(self);
	return priv->name;
}

static void
cc_backend_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	CcBackendPrivate *priv = GET_PRIVATE(CC_BACKEND(object));
	switch (prop_id) {
	case PROP_NAME:
		g_free(priv->name);
		priv->name = g_value_dup_string(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
cc_backend_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	CcBackendPrivate *priv = GET_PRIVATE(CC_BACKEND(object));
	switch (prop_id) {
	case PROP_NAME:
		g_value_set_string(value, priv->name);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
cc_backend_init(CcBackend *self)
{
}

static void
cc_backend_finalize(GObject *object)
{
	CcBackendPrivate *priv = GET_PRIVATE(CC_BACKEND(object));
	g_free(priv->name);
	G_OBJECT_CLASS(cc_backend_parent_class)->finalize(object);
}

static void
cc_backend_class_init(CcBackendClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->finalize = cc_backend_finalize;
	object_class->set_property = cc_backend_set_property;
	object_class->get_property = cc_backend_get_property;
	g_object_class_install_property(object_class, PROP_NAME,
					g_param_spec_string("name", NULL, NULL, NULL,
							    G_PARAM_READWRITE |
								    G_PARAM_CONSTRUCT_ONLY |
								    G_PARAM_STATIC_STRINGS));
}
