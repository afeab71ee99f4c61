using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Core.Features.Users;

namespace Poppy.Portal.Core.Data;

/// <summary>
/// The portal's one database: Identity, Data Protection keys and every feature's tables.
/// Its schema is built by the hand-written migrations in <c>Data/Migrations</c>; a test checks they match this model.
/// </summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options)
    : IdentityDbContext<PortalUser, IdentityRole, string>(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<ProjectMembership> ProjectMemberships => Set<ProjectMembership>();

    /// <summary>
    /// Whether the database answers with its schema in place: reads the migrations history, because a SQLite connection
    /// opens lazily and "SELECT 1" never touches the file. Used by /healthz and the API's ping and health.
    /// </summary>
    public async Task<bool> HasSchemaAsync(CancellationToken cancellationToken) =>
        await Database.SqlQueryRaw<int>("SELECT COUNT(*) AS \"Value\" FROM \"__EFMigrationsHistory\"").SingleAsync(cancellationToken) > 0;

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<PortalUser>(user =>
        {
            user.Property(u => u.DisplayName).HasMaxLength(200);
            user.Property(u => u.ColorScheme).HasMaxLength(8);
        });

        builder.Entity<Project>(project =>
        {
            project.ToTable("Projects");
            project.Property(p => p.Name).HasMaxLength(64);
            project.Property(p => p.Description).HasMaxLength(500);
            project.HasIndex(p => p.Name).IsUnique();
        });

        builder.Entity<ProjectMembership>(membership =>
        {
            membership.ToTable("ProjectMemberships");
            membership.HasKey(m => new { m.ProjectId, m.UserId });
            membership.HasOne(m => m.Project).WithMany(p => p.Members).HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
            membership.HasOne(m => m.User).WithMany(u => u.Memberships).HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
            membership.HasIndex(m => m.UserId);
        });

        // Each feature folder keeps its own table mapping in an IEntityTypeConfiguration<T>.
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);

        // SQLite cannot order or compare DateTimeOffset columns; store them as UTC ticks there.
        if (Database.IsSqlite())
        {
            foreach (var property in builder.Model.GetEntityTypes().SelectMany(t => t.GetProperties())
                         .Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
            {
                property.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter());
            }
        }
    }
}
