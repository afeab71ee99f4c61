using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Poppy.Portal.Core.Data.Migrations;

/// <summary>
/// The tables Quartz 4.7's ADO job store reads and writes (prefix <c>qrtz_</c>), so that scheduled jobs live in the
/// portal's own database and migrate with it. They are not part of the EF model: Quartz owns them, and they follow
/// the shape Quartz validates at startup (<c>SchemaProvisioning.Validate</c>), which differs per provider — BIGINT
/// millisecond ticks and BIT flags on SQLite, text/bool/bytea on PostgreSQL. The optional execution-history tables
/// (<c>UseExecutionHistory()</c>) are left out; the portal does not use them.
/// </summary>
[DbContext(typeof(PortalDbContext))]
[Migration("20261123120000_QuartzTables")]
public sealed class QuartzTablesMigration : Migration
{
    // Children before parents, so that Down() can drop them in this order.
    private static readonly string[] Tables =
    [
        "qrtz_fired_triggers", "qrtz_paused_trigger_grps", "qrtz_paused_job_grps", "qrtz_scheduler_state", "qrtz_locks",
        "qrtz_simprop_triggers", "qrtz_simple_triggers", "qrtz_cron_triggers", "qrtz_blob_triggers", "qrtz_triggers",
        "qrtz_job_details", "qrtz_calendars",
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var statements = migrationBuilder.IsSqlite() ? Sqlite
            : migrationBuilder.IsNpgsql() ? Postgres
            : throw new NotSupportedException($"No Quartz schema for provider {migrationBuilder.ActiveProvider}.");
        foreach (var statement in statements)
        {
            migrationBuilder.Sql(statement);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        // Dropping qrtz_triggers on SQLite drops its DELETE triggers with it.
        foreach (var table in Tables)
        {
            migrationBuilder.Sql($"DROP TABLE IF EXISTS {table};");
        }
    }

    private static readonly string[] Sqlite =
    [
        """
        CREATE TABLE qrtz_job_details (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          JOB_NAME NVARCHAR(150) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          DESCRIPTION NVARCHAR(250) NULL,
          JOB_CLASS_NAME NVARCHAR(250) NOT NULL,
          IS_DURABLE BIT NOT NULL,
          IS_NONCONCURRENT BIT NOT NULL,
          IS_UPDATE_DATA BIT NOT NULL,
          REQUESTS_RECOVERY BIT NOT NULL,
          JOB_DATA BLOB NULL,
          PRIMARY KEY (SCHED_NAME, JOB_NAME, JOB_GROUP)
        );
        """,
        """
        CREATE TABLE qrtz_triggers (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          JOB_NAME NVARCHAR(150) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          DESCRIPTION NVARCHAR(250) NULL,
          NEXT_FIRE_TIME BIGINT NULL,
          PREV_FIRE_TIME BIGINT NULL,
          PRIORITY INTEGER NULL,
          TRIGGER_STATE NVARCHAR(16) NOT NULL,
          TRIGGER_TYPE NVARCHAR(8) NOT NULL,
          START_TIME BIGINT NOT NULL,
          END_TIME BIGINT NULL,
          CALENDAR_NAME NVARCHAR(200) NULL,
          MISFIRE_INSTR INTEGER NULL,
          MISFIRE_ORIG_FIRE_TIME BIGINT NULL,
          EXECUTION_GROUP NVARCHAR(200) NULL,
          PREFERRED_NODE NVARCHAR(200) NULL,
          PREFERRED_NODE_AUTO BIT NOT NULL DEFAULT 0,
          RETRY_POLICY NVARCHAR(250) NULL,
          RETRY_ATTEMPT INTEGER NULL,
          CONTINUES_TRIGGER_NAME NVARCHAR(150) NULL,
          CONTINUES_TRIGGER_GROUP NVARCHAR(150) NULL,
          CONTINUATION_CONDITION INTEGER NULL,
          OVERLAP_POLICY INTEGER NULL,
          PAUSE_REASON NVARCHAR(250) NULL,
          PAUSED_BY NVARCHAR(200) NULL,
          PAUSED_AT BIGINT NULL,
          MISFIRE_THRESHOLD BIGINT NULL,
          FIXED_DELAY BIT NULL,
          JOB_DATA BLOB NULL,
          PRIMARY KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME, JOB_NAME, JOB_GROUP) REFERENCES qrtz_job_details (SCHED_NAME, JOB_NAME, JOB_GROUP)
        );
        """,
        """
        CREATE TABLE qrtz_simple_triggers (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          REPEAT_COUNT BIGINT NOT NULL,
          REPEAT_INTERVAL BIGINT NOT NULL,
          TIMES_TRIGGERED BIGINT NOT NULL,
          PRIMARY KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) REFERENCES qrtz_triggers (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_cron_triggers (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          CRON_EXPRESSION NVARCHAR(250) NOT NULL,
          TIME_ZONE_ID NVARCHAR(80) NULL,
          PRIMARY KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) REFERENCES qrtz_triggers (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_simprop_triggers (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          STR_PROP_1 NVARCHAR(512) NULL,
          STR_PROP_2 NVARCHAR(512) NULL,
          STR_PROP_3 NVARCHAR(512) NULL,
          INT_PROP_1 INT NULL,
          INT_PROP_2 INT NULL,
          LONG_PROP_1 BIGINT NULL,
          LONG_PROP_2 BIGINT NULL,
          DEC_PROP_1 NUMERIC NULL,
          DEC_PROP_2 NUMERIC NULL,
          BOOL_PROP_1 BIT NULL,
          BOOL_PROP_2 BIT NULL,
          TIME_ZONE_ID NVARCHAR(80) NULL,
          PRIMARY KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) REFERENCES qrtz_triggers (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_blob_triggers (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          BLOB_DATA BLOB NULL,
          PRIMARY KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP),
          FOREIGN KEY (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) REFERENCES qrtz_triggers (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_calendars (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          CALENDAR_NAME NVARCHAR(200) NOT NULL,
          CALENDAR BLOB NOT NULL,
          PRIMARY KEY (SCHED_NAME, CALENDAR_NAME)
        );
        """,
        """
        CREATE TABLE qrtz_paused_trigger_grps (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          PAUSE_REASON NVARCHAR(250) NULL,
          PAUSED_BY NVARCHAR(200) NULL,
          PAUSED_AT BIGINT NULL,
          PRIMARY KEY (SCHED_NAME, TRIGGER_GROUP)
        );
        """,
        """
        CREATE TABLE qrtz_paused_job_grps (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          JOB_GROUP NVARCHAR(150) NOT NULL,
          PAUSE_REASON NVARCHAR(250) NULL,
          PAUSED_BY NVARCHAR(200) NULL,
          PAUSED_AT BIGINT NULL,
          PRIMARY KEY (SCHED_NAME, JOB_GROUP)
        );
        """,
        """
        CREATE TABLE qrtz_fired_triggers (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          ENTRY_ID NVARCHAR(140) NOT NULL,
          TRIGGER_NAME NVARCHAR(150) NOT NULL,
          TRIGGER_GROUP NVARCHAR(150) NOT NULL,
          INSTANCE_NAME NVARCHAR(200) NOT NULL,
          FIRED_TIME BIGINT NOT NULL,
          SCHED_TIME BIGINT NOT NULL,
          PRIORITY INTEGER NOT NULL,
          STATE NVARCHAR(16) NOT NULL,
          JOB_NAME NVARCHAR(150) NULL,
          JOB_GROUP NVARCHAR(150) NULL,
          IS_NONCONCURRENT BIT NULL,
          REQUESTS_RECOVERY BIT NULL,
          EXECUTION_GROUP NVARCHAR(200) NULL,
          PROGRESS INTEGER NULL,
          PROGRESS_MESSAGE NVARCHAR(250) NULL,
          INTERRUPT_REQUESTED_TIME BIGINT NULL,
          PRIMARY KEY (SCHED_NAME, ENTRY_ID)
        );
        """,
        """
        CREATE TABLE qrtz_scheduler_state (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          INSTANCE_NAME NVARCHAR(200) NOT NULL,
          LAST_CHECKIN_TIME BIGINT NOT NULL,
          CHECKIN_INTERVAL BIGINT NOT NULL,
          QUARTZ_VERSION NVARCHAR(20) NULL,
          PRIMARY KEY (SCHED_NAME, INSTANCE_NAME)
        );
        """,
        """
        CREATE TABLE qrtz_locks (
          SCHED_NAME NVARCHAR(120) NOT NULL,
          LOCK_NAME NVARCHAR(40) NOT NULL,
          PRIMARY KEY (SCHED_NAME, LOCK_NAME)
        );
        """,
        // SQLite enforces ON DELETE CASCADE only with foreign keys switched on for the connection; these triggers
        // clean the per-type rows up whatever the connection says.
        "CREATE TRIGGER qrtz_delete_simple_trigger DELETE ON qrtz_triggers BEGIN DELETE FROM qrtz_simple_triggers WHERE SCHED_NAME = OLD.SCHED_NAME AND TRIGGER_NAME = OLD.TRIGGER_NAME AND TRIGGER_GROUP = OLD.TRIGGER_GROUP; END;",
        "CREATE TRIGGER qrtz_delete_simprop_trigger DELETE ON qrtz_triggers BEGIN DELETE FROM qrtz_simprop_triggers WHERE SCHED_NAME = OLD.SCHED_NAME AND TRIGGER_NAME = OLD.TRIGGER_NAME AND TRIGGER_GROUP = OLD.TRIGGER_GROUP; END;",
        "CREATE TRIGGER qrtz_delete_cron_trigger DELETE ON qrtz_triggers BEGIN DELETE FROM qrtz_cron_triggers WHERE SCHED_NAME = OLD.SCHED_NAME AND TRIGGER_NAME = OLD.TRIGGER_NAME AND TRIGGER_GROUP = OLD.TRIGGER_GROUP; END;",
        "CREATE TRIGGER qrtz_delete_blob_trigger DELETE ON qrtz_triggers BEGIN DELETE FROM qrtz_blob_triggers WHERE SCHED_NAME = OLD.SCHED_NAME AND TRIGGER_NAME = OLD.TRIGGER_NAME AND TRIGGER_GROUP = OLD.TRIGGER_GROUP; END;",
        "CREATE INDEX idx_qrtz_j_g_n ON qrtz_job_details (SCHED_NAME, JOB_GROUP, JOB_NAME);",
        "CREATE INDEX idx_qrtz_t_j ON qrtz_triggers (SCHED_NAME, JOB_NAME, JOB_GROUP);",
        "CREATE INDEX idx_qrtz_t_g_n ON qrtz_triggers (SCHED_NAME, TRIGGER_GROUP, TRIGGER_NAME);",
        "CREATE INDEX idx_qrtz_t_c ON qrtz_triggers (SCHED_NAME, CALENDAR_NAME);",
        "CREATE INDEX idx_qrtz_t_nft_st ON qrtz_triggers (SCHED_NAME, TRIGGER_STATE, NEXT_FIRE_TIME ASC, PRIORITY DESC, MISFIRE_INSTR);",
        "CREATE INDEX idx_qrtz_ft_inst_job_req_rcvry ON qrtz_fired_triggers (SCHED_NAME, INSTANCE_NAME, REQUESTS_RECOVERY);",
        "CREATE INDEX idx_qrtz_ft_j_g ON qrtz_fired_triggers (SCHED_NAME, JOB_NAME, JOB_GROUP);",
        "CREATE INDEX idx_qrtz_ft_t_g ON qrtz_fired_triggers (SCHED_NAME, TRIGGER_NAME, TRIGGER_GROUP);",
    ];

    private static readonly string[] Postgres =
    [
        """
        CREATE TABLE qrtz_job_details (
          sched_name text NOT NULL,
          job_name text NOT NULL,
          job_group text NOT NULL,
          description text NULL,
          job_class_name text NOT NULL,
          is_durable bool NOT NULL,
          is_nonconcurrent bool NOT NULL,
          is_update_data bool NOT NULL,
          requests_recovery bool NOT NULL,
          job_data bytea NULL,
          PRIMARY KEY (sched_name, job_name, job_group)
        );
        """,
        """
        CREATE TABLE qrtz_triggers (
          sched_name text NOT NULL,
          trigger_name text NOT NULL,
          trigger_group text NOT NULL,
          job_name text NOT NULL,
          job_group text NOT NULL,
          description text NULL,
          next_fire_time bigint NULL,
          prev_fire_time bigint NULL,
          priority integer NULL,
          trigger_state text NOT NULL,
          trigger_type text NOT NULL,
          start_time bigint NOT NULL,
          end_time bigint NULL,
          calendar_name text NULL,
          misfire_instr smallint NULL,
          misfire_orig_fire_time bigint NULL,
          execution_group varchar(200) NULL,
          preferred_node varchar(200) NULL,
          preferred_node_auto bool NOT NULL DEFAULT false,
          retry_policy varchar(250) NULL,
          retry_attempt integer NULL,
          continues_trigger_name text NULL,
          continues_trigger_group text NULL,
          continuation_condition integer NULL,
          overlap_policy integer NULL,
          pause_reason varchar(250) NULL,
          paused_by varchar(200) NULL,
          paused_at bigint NULL,
          misfire_threshold bigint NULL,
          fixed_delay bool NULL,
          job_data bytea NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, job_name, job_group) REFERENCES qrtz_job_details (sched_name, job_name, job_group)
        );
        """,
        """
        CREATE TABLE qrtz_simple_triggers (
          sched_name text NOT NULL,
          trigger_name text NOT NULL,
          trigger_group text NOT NULL,
          repeat_count bigint NOT NULL,
          repeat_interval bigint NOT NULL,
          times_triggered bigint NOT NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_cron_triggers (
          sched_name text NOT NULL,
          trigger_name text NOT NULL,
          trigger_group text NOT NULL,
          cron_expression text NOT NULL,
          time_zone_id text NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_simprop_triggers (
          sched_name text NOT NULL,
          trigger_name text NOT NULL,
          trigger_group text NOT NULL,
          str_prop_1 text NULL,
          str_prop_2 text NULL,
          str_prop_3 text NULL,
          int_prop_1 integer NULL,
          int_prop_2 integer NULL,
          long_prop_1 bigint NULL,
          long_prop_2 bigint NULL,
          dec_prop_1 numeric NULL,
          dec_prop_2 numeric NULL,
          bool_prop_1 bool NULL,
          bool_prop_2 bool NULL,
          time_zone_id text NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_blob_triggers (
          sched_name text NOT NULL,
          trigger_name text NOT NULL,
          trigger_group text NOT NULL,
          blob_data bytea NULL,
          PRIMARY KEY (sched_name, trigger_name, trigger_group),
          FOREIGN KEY (sched_name, trigger_name, trigger_group) REFERENCES qrtz_triggers (sched_name, trigger_name, trigger_group) ON DELETE CASCADE
        );
        """,
        """
        CREATE TABLE qrtz_calendars (
          sched_name text NOT NULL,
          calendar_name text NOT NULL,
          calendar bytea NOT NULL,
          PRIMARY KEY (sched_name, calendar_name)
        );
        """,
        """
        CREATE TABLE qrtz_paused_trigger_grps (
          sched_name text NOT NULL,
          trigger_group text NOT NULL,
          pause_reason varchar(250) NULL,
          paused_by varchar(200) NULL,
          paused_at bigint NULL,
          PRIMARY KEY (sched_name, trigger_group)
        );
        """,
        """
        CREATE TABLE qrtz_paused_job_grps (
          sched_name text NOT NULL,
          job_group text NOT NULL,
          pause_reason varchar(250) NULL,
          paused_by varchar(200) NULL,
          paused_at bigint NULL,
          PRIMARY KEY (sched_name, job_group)
        );
        """,
        """
        CREATE TABLE qrtz_fired_triggers (
          sched_name text NOT NULL,
          entry_id text NOT NULL,
          trigger_name text NOT NULL,
          trigger_group text NOT NULL,
          instance_name text NOT NULL,
          fired_time bigint NOT NULL,
          sched_time bigint NOT NULL,
          priority integer NOT NULL,
          state text NOT NULL,
          job_name text NULL,
          job_group text NULL,
          is_nonconcurrent bool NOT NULL,
          requests_recovery bool NULL,
          execution_group varchar(200) NULL,
          progress integer NULL,
          progress_message varchar(250) NULL,
          interrupt_requested_time bigint NULL,
          PRIMARY KEY (sched_name, entry_id)
        );
        """,
        """
        CREATE TABLE qrtz_scheduler_state (
          sched_name text NOT NULL,
          instance_name text NOT NULL,
          last_checkin_time bigint NOT NULL,
          checkin_interval bigint NOT NULL,
          quartz_version varchar(20) NULL,
          PRIMARY KEY (sched_name, instance_name)
        );
        """,
        """
        CREATE TABLE qrtz_locks (
          sched_name text NOT NULL,
          lock_name text NOT NULL,
          PRIMARY KEY (sched_name, lock_name)
        );
        """,
        "CREATE INDEX idx_qrtz_j_g_n ON qrtz_job_details (sched_name, job_group, job_name);",
        "CREATE INDEX idx_qrtz_t_j ON qrtz_triggers (sched_name, job_name, job_group);",
        "CREATE INDEX idx_qrtz_t_g_n ON qrtz_triggers (sched_name, trigger_group, trigger_name);",
        "CREATE INDEX idx_qrtz_t_c ON qrtz_triggers (sched_name, calendar_name);",
        "CREATE INDEX idx_qrtz_t_nft_st ON qrtz_triggers (sched_name, trigger_state, next_fire_time ASC, priority DESC, misfire_instr);",
        "CREATE INDEX idx_qrtz_ft_inst_job_req_rcvry ON qrtz_fired_triggers (sched_name, instance_name, requests_recovery);",
        "CREATE INDEX idx_qrtz_ft_j_g ON qrtz_fired_triggers (sched_name, job_name, job_group);",
        "CREATE INDEX idx_qrtz_ft_t_g ON qrtz_fired_triggers (sched_name, trigger_name, trigger_group);",
    ];
}
