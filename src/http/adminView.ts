import type { EmailChangeRequest, ResetResult } from '../domain/request.js';

/**
 * A request as the admin API shows it. Optional facts that are not known yet are `null` rather
 * than absent, so every item has the same shape; `declineReason` appears only on a Declined
 * request, where it is the point.
 */
export function adminViewOf(request: EmailChangeRequest): Record<string, unknown> {
  const { declineReason, ...rest } = request;
  return {
    ...rest,
    guestId: request.guestId ?? null,
    decision: request.decision ? { ...request.decision, comment: request.decision.comment ?? null } : null,
    result: request.result ? withoutRedeemLink(request.result) : null,
    mailRestore: request.mailRestore ?? null,
    ...(declineReason ? { declineReason } : {}),
  };
}

/**
 * The redeem link belongs to the new address's owner, who was mailed it; admins need the
 * invitation id, not a link they could forward.
 */
function withoutRedeemLink(result: ResetResult): ResetResult {
  if (!('invitationId' in result)) return result;
  return { invitationId: result.invitationId };
}
