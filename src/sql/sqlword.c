/* SPDX-License-Identifier: MIT */
/*
 * sqlword.c: the word tables of MySQL and MariaDB: reserved words, other
 * keywords and built-in function names.
 *
 * One sorted, lower-case table, the union of the reserved words that the
 * MySQL 5.7, 8.0 and 8.4 manuals ("Keywords and Reserved Words") and the
 * MariaDB 10.x knowledge base ("Reserved Words") list, searched with
 * bsearch(). A word reserved by only one server is in: quoting a name
 * that did not need it is harmless, a bare reserved word is a syntax
 * error. Words that are keywords but not reserved (status, level, user,
 * value) are left out, since they are common bare column and table names.
 *
 * The two other tables are for the fingerprint's keyword case: the
 * keywords that are not reserved, from the same MySQL 8.4 chapter and the
 * MariaDB 10.11/11.x "Reserved Words" and "Non-Reserved Keywords" lists
 * (SHOW and replication words included), and the built-in function names
 * of the MySQL 8.4 "Built-In Function and Operator Reference" and the
 * MariaDB 10.11/11.x function index (spatial st_* functions, window and
 * aggregate functions, JSON, sequences, dynamic columns, Oracle-mode
 * functions). A word in one of the lists is in none of the others. Each
 * table is sorted, lower case, one definition used by the normaliser.
 */
#include <stdlib.h>
#include <string.h>

#include "sql/sqlword.h"

/* Longest entry below ("master_ssl_verify_server_cert"). */
#define LONGEST 29

/* clang-format off */
static const char *const reserved[] = {
    "accessible", "add", "all", "alter", "analyze", "and", "as", "asc",
    "asensitive", "before", "between", "bigint", "binary", "blob", "both",
    "by", "call", "cascade", "case", "change", "char", "character",
    "check", "collate", "column", "condition", "constraint", "continue",
    "convert", "create", "cross", "cube", "cume_dist", "current_date",
    "current_role", "current_time", "current_timestamp", "current_user",
    "cursor", "database", "databases", "day_hour", "day_microsecond",
    "day_minute", "day_second", "dec", "decimal", "declare", "default",
    "delayed", "delete", "delete_domain_id", "dense_rank", "desc",
    "describe", "deterministic", "distinct", "distinctrow", "div",
    "do_domain_ids", "double", "drop", "dual", "each", "else", "elseif",
    "empty", "enclosed", "escaped", "except", "exists", "exit", "explain",
    "false", "fetch", "first_value", "float", "float4", "float8", "for",
    "force", "foreign", "from", "fulltext", "function", "general",
    "generated", "get", "grant", "group", "grouping", "groups", "having",
    "high_priority", "hour_microsecond", "hour_minute", "hour_second",
    "if", "ignore", "ignore_domain_ids", "ignore_server_ids", "in",
    "index", "infile", "inner", "inout", "insensitive", "insert", "int",
    "int1", "int2", "int3", "int4", "int8", "integer", "intersect",
    "interval", "into", "io_after_gtids", "io_before_gtids", "is",
    "iterate", "join", "json_table", "key", "keys", "kill", "lag",
    "last_value", "lateral", "lead", "leading", "leave", "left", "like",
    "limit", "linear", "lines", "load", "localtime", "localtimestamp",
    "lock", "long", "longblob", "longtext", "loop", "low_priority",
    "master_bind", "master_heartbeat_period",
    "master_ssl_verify_server_cert", "match", "maxvalue", "mediumblob",
    "mediumint", "mediumtext", "middleint", "minute_microsecond",
    "minute_second", "mod", "modifies", "natural", "no_write_to_binlog",
    "not", "nth_value", "ntile", "null", "numeric", "of", "offset", "on",
    "optimize", "optimizer_costs", "option", "optionally", "or", "order",
    "out", "outer", "outfile", "over", "page_checksum",
    "parse_vcol_expr", "partition", "percent_rank", "position",
    "precision", "primary", "procedure", "purge", "range", "rank",
    "read", "read_write", "reads", "real", "recursive", "ref_system_id",
    "references", "regexp", "release", "rename", "repeat", "replace",
    "require", "resignal", "restrict", "return", "returning", "revoke",
    "right", "rlike", "row", "row_number", "rows", "schema", "schemas",
    "second_microsecond", "select", "sensitive", "separator", "set",
    "show", "signal", "slow", "smallint", "spatial", "specific", "sql",
    "sql_big_result", "sql_calc_found_rows", "sql_small_result",
    "sqlexception", "sqlstate", "sqlwarning", "ssl", "starting",
    "stats_auto_recalc", "stats_persistent", "stats_sample_pages",
    "stored", "straight_join", "system", "table", "terminated", "then",
    "tinyblob", "tinyint", "tinytext", "to", "trailing", "trigger",
    "true", "undo", "union", "unique", "unlock", "unsigned", "update",
    "usage", "use", "using", "utc_date", "utc_time", "utc_timestamp",
    "values", "varbinary", "varchar", "varcharacter", "varying",
    "virtual", "when", "where", "while", "window", "with", "write",
    "xor", "year_month", "zerofill",
};
/* clang-format on */

/* Keywords that are not reserved: they may be bare names too. */
/* clang-format off */
static const char *const keywords[] = {
    "account", "action", "active", "admin", "admin_port", "after", "against",
    "aggregate", "algorithm", "always", "any", "aria", "array", "ascii", "at",
    "atomic", "attribute", "authentication", "authors", "auto",
    "auto_increment", "autocommit", "autoextend_size", "avg",
    "avg_row_length", "backup", "begin", "binlog", "bit", "block", "body",
    "bool", "boolean", "btree", "buckets", "bulk", "byte", "cache",
    "cascaded", "catalog_name", "chain", "challenge_response", "changed",
    "channel", "charset", "checksum", "cipher", "class_origin", "client",
    "client_statistics", "clob", "clone", "close", "coalesce", "code",
    "collation", "column_format", "column_name", "columns", "comment",
    "commit", "committed", "compact", "completion", "component", "compressed",
    "compression", "concurrent", "connection", "consistent",
    "constraint_catalog", "constraint_name", "constraint_schema", "contains",
    "context", "contributors", "cpu", "current", "cursor_name", "cycle",
    "data", "datafile", "date", "datetime", "day", "ddl_check_constraint",
    "deallocate", "default_auth", "definer", "definition", "delay_key_write",
    "depth", "des_key_file", "description", "diagnostics", "directory",
    "disable", "discard", "disk", "do", "dump", "dumpfile", "duplicate",
    "dynamic", "enable", "encryption", "end", "ends", "enforced", "engine",
    "engine_attribute", "engines", "enum", "error", "errors", "escape",
    "event", "events", "every", "exception", "exceptions", "exchange",
    "exclude", "execute", "expansion", "expire", "explicit", "export",
    "extended", "extent_size", "factor", "failed_login_attempts", "fast",
    "faults", "fields", "file", "file_block_size", "filter", "finish",
    "first", "fixed", "flush", "following", "follows", "format", "found",
    "full", "geomcollection", "geometry", "geometrycollection", "get_format",
    "get_source_public_key", "global", "goto", "grants", "group_replication",
    "gtid_only", "handler", "hash", "help", "histogram", "history", "host",
    "hosts", "hour", "identified", "ifnull", "import", "inactive",
    "increment", "incremental", "index_statistics", "indexes", "initial",
    "initial_size", "initiate", "insert_method", "install", "instance",
    "invisible", "invoker", "io", "io_thread", "ipc", "isolation", "issuer",
    "json", "json_value", "key_block_size", "keyring", "language", "last",
    "lastval", "leaves", "less", "level", "linestring", "list", "local",
    "locked", "locks", "logfile", "logs", "master", "master_auto_position",
    "master_compression_algorithms", "master_connect_retry", "master_delay",
    "master_demote_to_slave", "master_gtid_pos", "master_host",
    "master_log_file", "master_log_pos", "master_password", "master_port",
    "master_public_key_path", "master_retry_count", "master_ssl",
    "master_ssl_ca", "master_ssl_capath", "master_ssl_cert",
    "master_ssl_cipher", "master_ssl_crl", "master_ssl_crlpath",
    "master_ssl_key", "master_tls_ciphersuites", "master_tls_version",
    "master_use_gtid", "master_user", "master_zstd_compression_level",
    "max_connections_per_hour", "max_queries_per_hour", "max_rows",
    "max_size", "max_updates_per_hour", "max_user_connections", "medium",
    "member", "memory", "merge", "message_text", "microsecond", "migrate",
    "min_rows", "minute", "minvalue", "mode", "modify", "monitor", "month",
    "multilinestring", "multipoint", "multipolygon", "mutex", "mysql_errno",
    "name", "names", "national", "nchar", "ndb", "ndbcluster", "nested",
    "network_namespace", "never", "new", "next", "nextval", "no", "nocache",
    "nocycle", "nodegroup", "nomaxvalue", "nominvalue", "none", "noorder",
    "notfound", "nowait", "nulls", "number", "nvarchar", "off", "oj", "old",
    "one", "only", "open", "optional", "options", "ordinality",
    "organization", "others", "overlaps", "owner", "pack_keys", "package",
    "page", "parse_tree", "parser", "partial", "partitioning", "partitions",
    "password", "password_lock_time", "path", "period", "persist",
    "persist_only", "persistent", "phase", "plugin", "plugin_dir", "plugins",
    "point", "polygon", "port", "portion", "precedes", "preceding", "prepare",
    "preserve", "prev", "privilege_checks_user", "privileges", "process",
    "processlist", "profile", "profiles", "proxy", "quarter", "query",
    "query_response_time", "quick", "raise", "random", "read_only", "rebuild",
    "recover", "redo_buffer_size", "redundant", "reference", "registration",
    "relay", "relay_log_file", "relay_log_pos", "relay_thread", "relaylog",
    "reload", "remote", "remove", "reorganize", "repair", "repeatable",
    "replay", "replica", "replicas", "replicate_do_db", "replicate_do_table",
    "replicate_ignore_db", "replicate_ignore_table", "replicate_rewrite_db",
    "replicate_wild_do_table", "replicate_wild_ignore_table", "replication",
    "require_row_format", "require_table_primary_key_check", "reset",
    "resource", "respect", "restart", "restore", "resume", "retain",
    "returned_sqlstate", "returns", "reuse", "reverse", "role", "rollback",
    "rollup", "rotate", "routine", "row_count", "row_format", "rowcount",
    "rowtype", "rtree", "s3", "savepoint", "schedule", "schema_name",
    "second", "secondary", "secondary_engine", "secondary_engine_attribute",
    "secondary_load", "secondary_unload", "security", "sequence", "serial",
    "serializable", "server", "session", "setval", "share", "shared",
    "shutdown", "signed", "simple", "skip", "slave", "slave_hosts",
    "slave_pos", "slaves", "snapshot", "socket", "some", "soname", "sounds",
    "source", "source_auto_position", "source_bind",
    "source_compression_algorithms", "source_connect_retry", "source_delay",
    "source_heartbeat_period", "source_host", "source_log_file",
    "source_log_pos", "source_password", "source_port",
    "source_public_key_path", "source_retry_count", "source_ssl",
    "source_ssl_ca", "source_ssl_capath", "source_ssl_cert",
    "source_ssl_cipher", "source_ssl_crl", "source_ssl_crlpath",
    "source_ssl_key", "source_ssl_verify_server_cert",
    "source_tls_ciphersuites", "source_tls_version", "source_user",
    "source_zstd_compression_level", "sql_after_gtids", "sql_after_mts_gaps",
    "sql_before_gtids", "sql_buffer_result", "sql_cache", "sql_no_cache",
    "sql_thread", "sql_tsi_day", "sql_tsi_hour", "sql_tsi_minute",
    "sql_tsi_month", "sql_tsi_quarter", "sql_tsi_second", "sql_tsi_week",
    "sql_tsi_year", "srid", "stacked", "stage", "start", "starts",
    "statement", "status", "stop", "storage", "stream", "string",
    "subclass_origin", "subject", "subpartition", "subpartitions", "super",
    "suspend", "swaps", "switches", "system_time", "table_checksum",
    "table_name", "table_statistics", "tables", "tablespace", "temporary",
    "temptable", "text", "than", "thread_priority", "ties", "time",
    "timestamp", "timestampadd", "timestampdiff", "tls", "transaction",
    "transactional", "triggers", "truncate", "type", "types", "unbounded",
    "uncommitted", "undefined", "undo_buffer_size", "undofile", "unicode",
    "uninstall", "unknown", "unregister", "until", "unused", "upgrade", "url",
    "use_frm", "user", "user_resources", "user_statistics", "validation",
    "value", "variables", "vcpu", "versioning", "via", "view", "visible",
    "wait", "warnings", "week", "weight_string", "without", "work", "wrapper",
    "wsrep", "x509", "xa", "xid", "xml", "year", "zone",
};
/* clang-format on */

/* Built-in function names that are not reserved words. */
/* clang-format off */
static const char *const functions[] = {
    "abs", "acos", "add_months", "adddate", "addtime", "aes_decrypt",
    "aes_encrypt", "any_value", "asin", "atan", "atan2", "benchmark", "bin",
    "bin_to_uuid", "binlog_gtid_pos", "bit_and", "bit_count", "bit_length",
    "bit_or", "bit_xor", "can_access_column", "can_access_database",
    "can_access_table", "can_access_user", "can_access_view", "cast", "ceil",
    "ceiling", "char_length", "character_length", "chr", "coercibility",
    "column_add", "column_check", "column_create", "column_delete",
    "column_exists", "column_get", "column_json", "column_list", "compress",
    "concat", "concat_ws", "connection_id", "conv", "convert_tz", "cos",
    "cot", "count", "crc32", "curdate", "curtime", "date_add", "date_format",
    "date_sub", "datediff", "dayname", "dayofmonth", "dayofweek", "dayofyear",
    "decode", "decode_histogram", "degrees", "des_decrypt", "des_encrypt",
    "elt", "encode", "encrypt", "exp", "export_set", "extract",
    "extractvalue", "field", "find_in_set", "floor", "format_bytes",
    "format_pico_time", "found_rows", "from_base64", "from_days",
    "from_unixtime", "get_dd_column_privileges", "get_dd_create_options",
    "get_dd_index_sub_part_length", "get_lock", "greatest", "group_concat",
    "gtid_subset", "gtid_subtract", "hex", "icu_version", "inet6_aton",
    "inet6_ntoa", "inet_aton", "inet_ntoa", "instr",
    "internal_auto_increment", "internal_avg_row_length",
    "internal_check_time", "internal_checksum", "internal_data_free",
    "internal_data_length", "internal_dd_char_length",
    "internal_get_comment_or_error", "internal_get_enabled_role_json",
    "internal_get_hostname", "internal_get_username",
    "internal_get_view_warning_or_error", "internal_index_column_cardinality",
    "internal_index_length", "internal_is_enabled_role",
    "internal_is_mandatory_role", "internal_keys_disabled",
    "internal_max_data_length", "internal_table_rows", "internal_update_time",
    "is_free_lock", "is_ipv4", "is_ipv4_compat", "is_ipv4_mapped", "is_ipv6",
    "is_used_lock", "is_uuid", "isnull", "json_array", "json_array_append",
    "json_array_insert", "json_arrayagg", "json_compact", "json_contains",
    "json_contains_path", "json_depth", "json_detailed", "json_equals",
    "json_exists", "json_extract", "json_insert", "json_keys", "json_length",
    "json_loose", "json_merge", "json_merge_patch", "json_merge_preserve",
    "json_normalize", "json_object", "json_objectagg", "json_overlaps",
    "json_pretty", "json_query", "json_quote", "json_remove", "json_replace",
    "json_schema_valid", "json_schema_validation_report", "json_search",
    "json_set", "json_storage_free", "json_storage_size", "json_type",
    "json_unquote", "json_valid", "kdf", "last_day", "last_insert_id",
    "lcase", "least", "length", "ln", "load_file", "locate", "log", "log10",
    "log2", "lower", "lpad", "ltrim", "make_set", "makedate", "maketime",
    "master_gtid_wait", "master_pos_wait", "max", "mbrcontains",
    "mbrcoveredby", "mbrcovers", "mbrdisjoint", "mbrequals", "mbrintersects",
    "mbroverlaps", "mbrtouches", "mbrwithin", "md5", "median", "mid", "min",
    "monthname", "name_const", "natural_sort_key", "now", "nullif", "nvl",
    "nvl2", "oct", "octet_length", "old_password", "ord", "percentile_cont",
    "percentile_disc", "period_add", "period_diff", "pi", "pow", "power",
    "ps_current_thread_id", "ps_thread_id", "quote", "radians", "rand",
    "random_bytes", "regexp_instr", "regexp_like", "regexp_replace",
    "regexp_substr", "release_all_locks", "release_lock", "roles_graphml",
    "round", "rpad", "rtrim", "sec_to_time", "session_user", "sformat", "sha",
    "sha1", "sha2", "sign", "sin", "sleep", "soundex", "source_pos_wait",
    "space", "sqrt", "st_area", "st_asbinary", "st_asgeojson", "st_astext",
    "st_aswkb", "st_aswkt", "st_buffer", "st_buffer_strategy", "st_centroid",
    "st_collect", "st_contains", "st_convexhull", "st_crosses",
    "st_difference", "st_dimension", "st_disjoint", "st_distance",
    "st_distance_sphere", "st_endpoint", "st_envelope", "st_equals",
    "st_exteriorring", "st_frechetdistance", "st_geohash",
    "st_geomcollfromtext", "st_geomcollfromtxt", "st_geomcollfromwkb",
    "st_geometrycollectionfromtext", "st_geometrycollectionfromwkb",
    "st_geometryfromtext", "st_geometryfromwkb", "st_geometryn",
    "st_geometrytype", "st_geomfromgeojson", "st_geomfromtext",
    "st_geomfromwkb", "st_hausdorffdistance", "st_interiorringn",
    "st_intersection", "st_intersects", "st_isclosed", "st_isempty",
    "st_issimple", "st_isvalid", "st_latfromgeohash", "st_latitude",
    "st_length", "st_linefromtext", "st_linefromwkb",
    "st_lineinterpolatepoint", "st_lineinterpolatepoints",
    "st_linestringfromtext", "st_linestringfromwkb", "st_longfromgeohash",
    "st_longitude", "st_makeenvelope", "st_mlinefromtext", "st_mlinefromwkb",
    "st_mpointfromtext", "st_mpointfromwkb", "st_mpolyfromtext",
    "st_mpolyfromwkb", "st_multilinestringfromtext",
    "st_multilinestringfromwkb", "st_multipointfromtext",
    "st_multipointfromwkb", "st_multipolygonfromtext",
    "st_multipolygonfromwkb", "st_numgeometries", "st_numinteriorring",
    "st_numinteriorrings", "st_numpoints", "st_overlaps",
    "st_pointatdistance", "st_pointfromgeohash", "st_pointfromtext",
    "st_pointfromwkb", "st_pointn", "st_polyfromtext", "st_polyfromwkb",
    "st_polygonfromtext", "st_polygonfromwkb", "st_simplify", "st_srid",
    "st_startpoint", "st_swapxy", "st_symdifference", "st_touches",
    "st_transform", "st_union", "st_validate", "st_within", "st_x", "st_y",
    "statement_digest", "statement_digest_text", "std", "stddev",
    "stddev_pop", "stddev_samp", "str_to_date", "strcmp", "subdate", "substr",
    "substring", "substring_index", "subtime", "sum", "sys_guid",
    "sys_refcursor", "sysdate", "system_user", "tan", "time_format",
    "time_to_sec", "timediff", "to_base64", "to_char", "to_days", "to_number",
    "to_seconds", "trim", "trunc", "ucase", "uncompress",
    "uncompressed_length", "unhex", "unix_timestamp", "updatexml", "upper",
    "uuid", "uuid_short", "uuid_to_bin", "uuid_v4", "uuid_v7",
    "validate_password_strength", "var_pop", "var_samp", "variance",
    "version", "wait_for_executed_gtid_set", "weekday", "weekofyear",
    "yearweek",
};
/* clang-format on */

static int cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

int n1_sqlword_reserved(const char *s, size_t len)
{
    char low[LONGEST + 1];

    if (len == 0 || len > LONGEST) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (c >= 'A' && c <= 'Z') {
            c = (char)(c + ('a' - 'A'));
        } else if (c == '\0') {
            return 0;
        }
        low[i] = c;
    }
    low[len] = '\0';
    return bsearch(low, reserved, sizeof(reserved) / sizeof(reserved[0]),
                   sizeof(reserved[0]), cmp) != NULL;
}

size_t n1_sqlword_list(enum n1_sqlword_kind kind, const char *const **words)
{
    switch (kind) {
    case N1_SQLWORD_RESERVED:
        *words = reserved;
        return sizeof(reserved) / sizeof(reserved[0]);
    case N1_SQLWORD_KEYWORD:
        *words = keywords;
        return sizeof(keywords) / sizeof(keywords[0]);
    case N1_SQLWORD_FUNCTION:
        *words = functions;
        return sizeof(functions) / sizeof(functions[0]);
    }
    *words = NULL;
    return 0;
}

size_t n1_sqlword_skip_quoted(const char *s, size_t i)
{
    char q = s[i++];

    while (s[i] != '\0') {
        if (s[i] == '\\' && q != '`' && s[i + 1] != '\0') {
            i += 2;
        } else if (s[i] == q && s[i + 1] == q) {
            i += 2;
        } else if (s[i] == q) {
            return i + 1;
        } else {
            i++;
        }
    }
    return i;
}
