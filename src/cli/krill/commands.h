// The commands' work, one function per verb; each returns the exit status or an error that
// krill_main prints as "Error: <message>" with status 125.
#pragma once

#include "base/error.h"
#include "cli/krill/context.h"
#include "cli/krill/options.h"

namespace krill::cli {

Result<int> run_login(Context& ctx, const LoginOptions& o);
Result<int> run_logout(Context& ctx, const LogoutOptions& o);

Result<int> run_pull(Context& ctx, const PullOptions& o);
Result<int> run_push(Context& ctx, const PushOptions& o);

Result<int> run_images(Context& ctx, const ImagesOptions& o);
Result<int> run_rmi(Context& ctx, const RmiOptions& o);
Result<int> run_tag(Context& ctx, const TagOptions& o);
Result<int> run_untag(Context& ctx, const TagOptions& o);
// Local images by name; docker://… (and other transports) without pulling (skopeo inspect).
Result<int> run_image_inspect(Context& ctx, const InspectOptions& o);
// skopeo inspect of one TRANSPORT:REF (bare names are docker://).
Result<int> inspect_remote(Context& ctx, const InspectOptions& o, const std::string& name);
Result<int> run_history(Context& ctx, const HistoryOptions& o);

Result<int> run_save(Context& ctx, const SaveOptions& o);
Result<int> run_load(Context& ctx, const LoadOptions& o);
Result<int> run_import(Context& ctx, const ImportOptions& o);

Result<int> run_image_copy(Context& ctx, const CopyOptionsCli& o);
Result<int> run_list_tags(Context& ctx, const RemoteOptions& o);
Result<int> run_image_delete(Context& ctx, const RemoteOptions& o);
Result<int> run_image_sync(Context& ctx, const SyncOptions& o);
Result<int> run_registry_catalog(Context& ctx, const RemoteOptions& o);
Result<int> run_registry_layer(Context& ctx, const RemoteOptions& o);

Result<int> run_system_df(Context& ctx, const DfOptions& o);
Result<int> run_image_prune(Context& ctx, const PruneOptions& o);
Result<int> run_system_prune(Context& ctx, const PruneOptions& o);
Result<int> run_system_check(Context& ctx, const CheckOptions& o);

}  // namespace krill::cli
