// Internal: what an approval instance keeps of its process at submit: definition version, SLA policy,
// 抄送, whether it is a leave (absence) process and its attachment rules.
// @internal
// @mode read
// @param id string 流程 ID
MATCH (p:ApprovalProcess {id: $id})
RETURN p.definitionVersion AS version, p.slaHours AS slaHours, p.slaReminders AS reminders,
       p.escalation AS escalation, p.slaClock AS clock, p.ccTo AS cc, coalesce(p.absence, false) AS absence,
       p.attachmentMaxBytes AS attachmentMaxBytes, p.attachmentTypes AS attachmentTypes,
       coalesce(p.approversAttach, false) AS approversAttach, coalesce(p.ingestAttachments, false) AS ingestAttachments
