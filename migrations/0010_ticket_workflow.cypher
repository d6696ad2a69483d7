// The ticket workflow (§7.2.5.3, §7.1.3 c): approvals given to a ticket, read per ticket and round.
CREATE INDEX ticket_approval_ticket IF NOT EXISTS FOR (a:TicketApproval) ON (a.ticketId, a.round);
