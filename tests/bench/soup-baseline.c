/*
 * The baseline for the REST benchmark: a minimal libsoup-3 server answering
 * every request with a fixed body, on 127.0.0.1:PORT.
 *
 *   soup-baseline PORT BODY-FILE
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <libsoup/soup.h>
#include <stdlib.h>

static GBytes *body;

static void
handler(SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
	gpointer user_data)
{
	gsize len = 0;
	const gchar *data = g_bytes_get_data(body, &len);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC, data, len);
}

int
main(int argc, char **argv)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(SoupServer) server = soup_server_new(NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GMappedFile) file = NULL;

	if (argc != 3) {
		g_printerr("usage: soup-baseline PORT BODY-FILE\n");
		return 2;
	}
	file = g_mapped_file_new(argv[2], FALSE, &error);
	if (file == NULL) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	body = g_mapped_file_get_bytes(file);
	soup_server_add_handler(server, NULL, handler, NULL, NULL);
	if (!soup_server_listen_local(server, (guint)atoi(argv[1]), SOUP_SERVER_LISTEN_IPV4_ONLY,
				      &error)) {
		g_printerr("%s\n", error->message);
		return 1;
	}
	g_main_loop_run(loop);
	return 0;
}
